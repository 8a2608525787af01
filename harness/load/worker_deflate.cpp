// Worker: permessage-deflate (--deflate). The server's answer is judged by core's client-side
// check (RFC 7692 7.1: a response the client must not accept fails the handshake); an agreed
// session compresses every message with its own zlib stream and inflates every echo through the
// parser, so the verifier sees plain bytes either way. Streams are made per session; per message
// nothing is allocated (the buffers are sized once, in the constructor).
#include <algorithm>
#include <cstring>

#include "core/extension_list.hpp"
#include "load/frame_builder.hpp"
#include "load/worker.hpp"

namespace wsalloc::load {

bool Worker::start_deflate(Conn& c, const ResponseInfo& info) noexcept {
  core::DeflateAgreement agreed;
  const auto verdict =
      core::check_deflate_response({info.extensions, info.extension_count}, deflate_offer_, agreed);
  if (verdict == core::ResponseVerdict::Invalid) return false;
  if (verdict == core::ResponseVerdict::NotAccepted) {
    ++counters.deflate_declined;  // legal: the server may decline; messages go plain
    return true;
  }
  try {
    c.deflater = std::make_unique<core::MessageDeflater>(agreed.client, core::DeflateSettings{}, core::StreamMemory{});
    c.inflater = std::make_unique<core::MessageInflater>(agreed.server, core::StreamMemory{});
  } catch (const std::bad_alloc&) {
    return false;
  }
  c.parser.set_inflater(c.inflater.get(), inflate_window_);
  ++counters.deflate_agreed;
  return true;
}

// One message: head + tail assembled, compressed, and framed as cfg_.fragments masked frames with
// RSV1 on the first (RFC 7692 6.1). Returns the bytes written at `out` (0: compression failed).
size_t Worker::write_compressed(Conn& c, uint8_t* out, core::Opcode op, std::span<const uint8_t> head,
                                std::span<const uint8_t> tail) noexcept {
  std::memcpy(plain_.data(), head.data(), head.size());
  if (!tail.empty()) std::memcpy(plain_.data() + head.size(), tail.data(), tail.size());
  const size_t n = head.size() + tail.size();
  size_t z = 0;
  if (c.deflater->compress({plain_.data(), n}, packed_, z) != core::DeflateStatus::Ok) return 0;
  counters.deflate_sent_bytes += n;
  counters.deflate_sent_wire += z;
  const unsigned fragments = cfg_.fragments;
  size_t at = 0;
  for (unsigned f = 0; f < fragments; ++f) {
    const size_t a = z * f / fragments, b = z * (f + 1) / fragments;
    const uint32_t key = static_cast<uint32_t>(rng_.next());
    const size_t h = core::write_frame_header(out + at, f == 0 ? op : core::Opcode::Continuation,
                                              f + 1 == fragments, b - a, key);
    if (f == 0) out[at] |= core::kRsv1;
    core::mask_copy(out + at + h, packed_.data() + a, b - a, key);
    at += h + (b - a);
  }
  return at;
}

void Worker::retire_deflate(Conn& c) noexcept {
  if (c.inflater) {
    counters.deflate_received_wire += c.inflater->bytes_in();
    counters.deflate_received_bytes += c.inflater->bytes_out();
  }
  c.deflater.reset();
  c.inflater.reset();
}

}  // namespace wsalloc::load
