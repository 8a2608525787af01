#include "core/deflate_stream.hpp"

#include <climits>
#include <cstring>
#include <new>

namespace wsalloc::core {

// ------------------------------------------------------------------------------------- memory

void ZlibMemory::bind(z_stream& s, std::pmr::memory_resource* r) noexcept {
  r_ = r;
  count_ = 0;
  s.zalloc = &ZlibMemory::zalloc;
  s.zfree = &ZlibMemory::zfree;
  s.opaque = this;
}

size_t ZlibMemory::live_bytes() const noexcept {
  size_t n = 0;
  for (uint8_t i = 0; i < count_; ++i) n += live_[i].n;
  return n;
}

void* ZlibMemory::zalloc(void* opaque, unsigned items, unsigned size) noexcept {
  auto* self = static_cast<ZlibMemory*>(opaque);
  if (self->count_ == kMaxLive) return nullptr;  // more than zlib ever asks for: refuse, Z_MEM_ERROR
  const size_t n = size_t{items} * size;
  void* p;
  try {
    p = self->r_->allocate(n, alignof(std::max_align_t));
  } catch (...) {
    return nullptr;  // zlib turns it into Z_MEM_ERROR; an exception must not cross its C frames
  }
  self->live_[self->count_++] = {p, n};
  return p;
}

void ZlibMemory::zfree(void* opaque, void* p) noexcept {
  auto* self = static_cast<ZlibMemory*>(opaque);
  for (uint8_t i = self->count_; i-- > 0;) {
    if (self->live_[i].p != p) continue;
    self->r_->deallocate(p, self->live_[i].n, alignof(std::max_align_t));
    self->live_[i] = self->live_[--self->count_];
    return;
  }
  // Not ours: zlib frees only what it allocated, so this cannot happen; leaking beats a bad free.
}

// ----------------------------------------------------------------------------------- inflater

namespace {
// zlib counts in uInt; a chunk larger than that is consumed over several steps.
uInt clamp_uint(size_t n) noexcept { return n > UINT_MAX ? UINT_MAX : static_cast<uInt>(n); }
}  // namespace

MessageInflater::~MessageInflater() { release(); }

bool MessageInflater::init(StreamLife life) noexcept {
  s_ = z_stream{};
  mem_.bind(s_, life == StreamLife::Message ? memory_.message : memory_.connection);
  // Raw DEFLATE (negative bits) with the agreed window: a distance beyond it is the peer's error.
  if (inflateInit2(&s_, -int{peer_.window_bits}) != Z_OK) {
    inflateEnd(&s_);
    return false;
  }
  life_ = life;
  return true;
}

void MessageInflater::release() noexcept {
  if (life_ == StreamLife::None) return;
  inflateEnd(&s_);
  life_ = StreamLife::None;
}

InflateStatus MessageInflater::begin(bool whole) noexcept {
  if (in_message_) end();
  if (life_ == StreamLife::None) {
    // Without context takeover a message that is all here needs its stream only for this call.
    const bool transient = peer_.no_context_takeover && whole;
    if (!init(transient ? StreamLife::Message : StreamLife::Connection)) return InflateStatus::NoMemory;
  }
  in_message_ = true;
  ended_ = false;
  ++messages_;
  return InflateStatus::Ok;
}

InflateStatus MessageInflater::step(std::span<const uint8_t>& in, std::span<uint8_t> out, size_t& produced,
                                    bool appended_tail) noexcept {
  produced = 0;
  // Still the end when payload follows BFINAL: the caller names that error, whichever read the
  // bytes came in (BadData here named it "invalid compressed data" when they came in a later one).
  if (ended_) return InflateStatus::StreamEnd;
  s_.next_in = const_cast<Bytef*>(in.data());
  s_.avail_in = clamp_uint(in.size());
  s_.next_out = out.data();
  s_.avail_out = clamp_uint(out.size());
  const uInt in_before = s_.avail_in, out_before = s_.avail_out;
  const int rc = inflate(&s_, Z_SYNC_FLUSH);
  const size_t consumed = in_before - s_.avail_in;
  produced = out_before - s_.avail_out;
  in = in.subspan(consumed);
  if (!appended_tail) bytes_in_ += consumed;
  bytes_out_ += produced;
  switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR: return InflateStatus::Ok;  // BUF_ERROR: no progress possible, nothing wrong
    case Z_STREAM_END: ended_ = true; return InflateStatus::StreamEnd;
    case Z_MEM_ERROR: return InflateStatus::NoMemory;
    default: return InflateStatus::BadData;      // Z_DATA_ERROR (also "distance too far back")
  }
}

void MessageInflater::end() noexcept {
  if (!in_message_) return;
  in_message_ = false;
  if (life_ == StreamLife::Message) {
    release();
  } else if (life_ == StreamLife::Connection && (peer_.no_context_takeover || ended_)) {
    // A stream that ended (BFINAL) cannot continue; one without takeover starts empty anyway.
    inflateReset(&s_);
  }
  ended_ = false;
}

// ----------------------------------------------------------------------------------- deflater

MessageDeflater::~MessageDeflater() { release(); }

bool MessageDeflater::init(StreamLife life) noexcept {
  s_ = z_stream{};
  mem_.bind(s_, life == StreamLife::Message ? memory_.message : memory_.connection);
  if (deflateInit2(&s_, settings_.level, Z_DEFLATED, -zlib_window_bits(own_.window_bits), settings_.mem_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    deflateEnd(&s_);
    return false;
  }
  life_ = life;
  return true;
}

void MessageDeflater::release() noexcept {
  if (life_ == StreamLife::None) return;
  deflateEnd(&s_);
  life_ = StreamLife::None;
}

DeflateStatus MessageDeflater::compress(std::span<const uint8_t> in, std::span<uint8_t> out, size_t& produced) noexcept {
  produced = 0;
  if (out.size() < bound(in.size())) return DeflateStatus::OutputTooSmall;
  ++messages_;
  if (in.empty()) {
    // RFC 7692 7.2.3.6: one 0x00 byte (with the tail appended, an empty stored block). zlib would
    // refuse a second flush with no input on a kept stream (Z_BUF_ERROR) and it changes no context.
    out[0] = 0x00;
    produced = 1;
    bytes_out_ += 1;
    return DeflateStatus::Ok;
  }
  if (life_ == StreamLife::None &&
      !init(own_.no_context_takeover ? StreamLife::Message : StreamLife::Connection)) {
    return DeflateStatus::NoMemory;
  }
  // zlib counts in uInt: a message over 4 GiB (max-message 0 = unlimited) goes in several calls,
  // flushed only on the last.
  const uint8_t* ip = in.data();
  size_t in_left = in.size();
  uint8_t* op = out.data();
  size_t out_left = out.size();
  int rc;
  do {
    s_.next_in = const_cast<Bytef*>(ip);
    s_.avail_in = clamp_uint(in_left);
    s_.next_out = op;
    s_.avail_out = clamp_uint(out_left);
    const uInt in_now = s_.avail_in, out_now = s_.avail_out;
    rc = deflate(&s_, in_left > in_now ? Z_NO_FLUSH : Z_SYNC_FLUSH);
    ip += in_now - s_.avail_in;
    in_left -= in_now - s_.avail_in;
    op += out_now - s_.avail_out;
    out_left -= out_now - s_.avail_out;
  } while (rc == Z_OK && in_left > 0 && out_left > 0);
  const size_t written = out.size() - out_left;
  // All input taken and room left over: everything is out, ending in the sync flush's 00 00 ff ff.
  const bool complete = (rc == Z_OK || rc == Z_BUF_ERROR) && in_left == 0 && out_left != 0 && written >= 4 &&
                        std::memcmp(out.data() + written - 4, kDeflateTail, 4) == 0;
  if (!complete) {
    release();  // its context no longer matches what the peer will have seen
    return rc == Z_MEM_ERROR ? DeflateStatus::NoMemory : DeflateStatus::OutputTooSmall;
  }
  produced = written - 4;
  bytes_in_ += in.size();
  bytes_out_ += produced;
  if (life_ == StreamLife::Message) release();
  return DeflateStatus::Ok;
}

}  // namespace wsalloc::core
