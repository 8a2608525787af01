#pragma once
// reference_inflate.hpp: the oracle's permessage-deflate decompressor (RFC 7692 7.2.2), written
// straight on zlib's inflate() with none of core/deflate_stream.hpp's code: one raw stream, the
// agreed window, kept across messages with context takeover, restarted without it (and after a
// BFINAL block, which ends a DEFLATE stream).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wsalloc::fuzz {

// What the peer's compressor agreed to; `on` false = permessage-deflate not negotiated.
struct RefDeflate {
  bool on = false;
  uint8_t window_bits = 15;
  bool takeover = true;
};

class RefInflater {
 public:
  enum class Status : uint8_t { Ok, StreamEnd, BadData };

  explicit RefInflater(RefDeflate d) : d_(d) {}
  ~RefInflater() {
    if (live_) inflateEnd(&z_);
  }
  RefInflater(const RefInflater&) = delete;
  RefInflater& operator=(const RefInflater&) = delete;

  void begin_message() {
    if (live_ && (!d_.takeover || ended_)) {
      inflateEnd(&z_);
      live_ = false;
    }
    if (!live_) {
      z_ = z_stream{};
      live_ = inflateInit2(&z_, -int{d_.window_bits}) == Z_OK;
    }
    ended_ = false;
  }

  // Inflates all of `in`, appending to `out` but never growing it past `cap` bytes (the oracle
  // stops there: one byte over the limit is enough to know). Bytes after the stream's end are
  // BadData, unless `tail` (what is left of the appended 00 00 ff ff does not count).
  Status inflate_all(std::span<const uint8_t> in, std::string& out, size_t cap, bool tail) {
    if (ended_) return in.empty() || tail ? Status::StreamEnd : Status::BadData;
    z_.next_in = const_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    while (out.size() < cap) {
      char buf[4096];
      const size_t room = std::min(sizeof buf, cap - out.size());
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = static_cast<uInt>(room);
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      out.append(buf, room - z_.avail_out);
      if (rc == Z_STREAM_END) {
        ended_ = true;
        return z_.avail_in != 0 && !tail ? Status::BadData : Status::StreamEnd;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return Status::BadData;
      if (z_.avail_out != 0) break;  // room to spare: the input is used up
    }
    return Status::Ok;
  }
  bool ended() const { return ended_; }

 private:
  RefDeflate d_;
  z_stream z_{};
  bool live_ = false;
  bool ended_ = false;
};

}  // namespace wsalloc::fuzz
