#include "threshold_streams.hpp"

#include <string>
#include <tuple>

#include "core/frame.hpp"
#include "core/handshake.hpp"
#include "core/protocol.hpp"
#include "memory/area_lifetimes.hpp"
#include "memory/page_resource.hpp"
#include "net/poller.hpp"
#include "variants/cork.hpp"
#include "variants/zerocopy/zerocopy_pipeline.hpp"
#include "wire_client.hpp"

namespace wsalloc::testing {
namespace {

using core::Opcode;

std::string pattern(size_t n, bool text) { return generated_payload(n, text); }

uint32_t key_for(size_t i) { return 0x5a17c0deu + static_cast<uint32_t>(i) * 0x01010101u; }

struct Builder {
  std::string name;
  std::string bytes = kUpgradeRequest;
  variants::SessionLimits limits{};
  size_t frames = 0;

  Builder& data(Opcode op, size_t n, bool fin = true) {
    const bool text = op == Opcode::Text || (op == Opcode::Continuation && text_open);
    if (op == Opcode::Text) text_open = !fin;
    bytes += client_frame(op, pattern(n, text), fin, key_for(frames++));
    if (fin) text_open = false;
    return *this;
  }
  Builder& control(Opcode op, std::string_view payload) {
    bytes += client_frame(op, payload, true, key_for(frames++));
    return *this;
  }
  Builder& close() { return control(Opcode::Close, std::string_view("\x03\xe8", 2)); }
  ReplayStream done() { return {"thresholds/" + name, bytes, limits, structure_offsets(bytes)}; }

  bool text_open = false;
};

}  // namespace

std::vector<ReplayStream> threshold_streams() {
  using variants::Cork;
  using variants::ZeroCopyPipeline;
  constexpr size_t kRef = ZeroCopyPipeline::kReferenceFrom;
  std::vector<ReplayStream> all;

  // The request alone, then one frame of each size that matters right behind it: the stream of
  // the use-after-free (a request split across reads, then an in-place reference).
  for (size_t n : {size_t{0}, size_t{1}, size_t{125}, size_t{126}, kRef - 1, kRef, kRef + 1}) {
    all.push_back(Builder{"binary_" + std::to_string(n)}.data(Opcode::Binary, n).done());
    all.push_back(Builder{"text_" + std::to_string(n)}.data(Opcode::Text, n).close().done());
  }
  // Small frames of every length encoding and both sides of the reference size, with control
  // frames between: a few KiB, split at every byte.
  all.push_back(Builder{"mixed_small"}
                    .data(Opcode::Binary, 0).data(Opcode::Text, 1).data(Opcode::Binary, 125)
                    .control(Opcode::Ping, std::string(125, 'p')).data(Opcode::Text, 126)
                    .data(Opcode::Binary, kRef - 1).control(Opcode::Pong, "x").data(Opcode::Binary, kRef)
                    .close().done());
  // A message in fragments on the thresholds, a ping in the middle, text cut inside characters.
  all.push_back(Builder{"fragments_text"}
                    .data(Opcode::Text, 125, false).data(Opcode::Continuation, 1, false)
                    .control(Opcode::Ping, "mid").data(Opcode::Continuation, kRef, false)
                    .data(Opcode::Continuation, 126, true).data(Opcode::Binary, kRef).close().done());
  // The cork: replies that fill its 64 KiB copy space, and references that use up its 64 segments.
  {
    Builder copied{"cork_bytes_full"};
    for (size_t used = 0; used <= Cork::kBytes; used += kRef + 3) copied.data(Opcode::Binary, kRef - 1);
    all.push_back(copied.done());
    Builder referenced{"cork_segments_full"};
    for (size_t i = 0; i <= Cork::kMaxSegments / 2; ++i) referenced.data(Opcode::Binary, kRef);
    all.push_back(referenced.done());
  }
  // Length encodings at 65535/65536 and the cork's own size (a payload the cork cannot hold).
  for (size_t n : {size_t{65535}, size_t{65536}, Cork::kBytes - 4, Cork::kBytes - 3})
    all.push_back(Builder{"binary_" + std::to_string(n)}.data(Opcode::Binary, n).close().done());
  // The arena's blocks: connection area (assembled fragments), message area, loop area and the
  // page resource's map threshold; the receive buffer (one frame larger than any single read).
  const size_t areas[] = {memory::kConnectionAreaBytes, memory::kMessageAreaBytes, memory::kLoopAreaBytes,
                          memory::kPageMapThreshold, net::PollerOptions{}.recv_buffer_bytes};
  for (size_t n : areas) {
    all.push_back(Builder{"binary_" + std::to_string(n + 1)}.data(Opcode::Binary, n + 1).done());
    all.push_back(Builder{"fragments_" + std::to_string(n)}
                      .data(Opcode::Binary, n / 2, false).control(Opcode::Ping, "")
                      .data(Opcode::Continuation, n / 2 + 1, true).close().done());
  }
  all.push_back(Builder{"text_65536"}.data(Opcode::Text, 65536).close().done());
  // --max-message 65536 (the conformance limits group): at the limit, one over, and a fragmented
  // message that crosses it in its second frame.
  for (auto [name, first, second] : {std::tuple{"max64k_at_limit", size_t{65536}, size_t{0}},
                                     std::tuple{"max64k_over", size_t{65537}, size_t{0}},
                                     std::tuple{"max64k_fragments_over", size_t{32768}, size_t{32769}}}) {
    Builder b{name};
    b.limits.protocol.max_message = 65536;
    if (second == 0) {
      b.data(Opcode::Binary, first);
    } else {
      b.data(Opcode::Binary, first, false).data(Opcode::Continuation, second, true);
    }
    all.push_back(b.data(Opcode::Binary, kRef).done());
  }
  // The default --max-message (16 MiB): exactly at it, and a header declaring one byte more
  // (refused at the header, so its payload never needs to arrive).
  {
    constexpr size_t kMax = core::ProtocolLimits{}.max_message;
    all.push_back(Builder{"max_default_at_limit"}.data(Opcode::Binary, kMax).close().done());
    Builder over{"max_default_over"};
    uint8_t header[core::kMaxFrameHeader];
    const size_t h = core::write_frame_header(header, Opcode::Binary, true, kMax + 1, key_for(0));
    over.bytes.append(reinterpret_cast<const char*>(header), h);
    over.bytes += pattern(kRef, false);
    all.push_back(over.done());
  }
  // The handshake's header limit: a request of exactly 8 KiB (accepted) and one byte more (431),
  // each followed by an in-place-sized frame.
  for (size_t extra : {size_t{0}, size_t{1}}) {
    const std::string base = kUpgradeRequest;
    const std::string filler_name = "X-Filler: ";
    const size_t limit = core::HandshakeLimits{}.max_header_bytes;
    std::string filler(limit + extra - base.size() - filler_name.size() - 2, 'f');
    Builder b{extra ? "request_over_header_limit" : "request_at_header_limit"};
    b.bytes = base.substr(0, base.size() - 2) + filler_name + filler + "\r\n\r\n";
    b.data(Opcode::Binary, kRef);
    all.push_back(b.done());
  }
  return all;
}

}  // namespace wsalloc::testing
