// Micro-benchmarks of the protocol core: frame header parse and write, unmasking, the handshake,
// UTF-8 validation. Inputs are built before the loop; the loop touches only them.
#include <benchmark/benchmark.h>

#include <array>
#include <optional>
#include <string>

#include "core/frame.hpp"
#include "core/handshake.hpp"
#include "core/utf8.hpp"
#include "micro/alloc_meter.hpp"
#include "micro/client_frames.hpp"

namespace wsalloc::micro {
namespace {

using core::Opcode;

// ------------------------------------------------------------------------------ frame headers

// A masked client header announcing `len` payload bytes: 7-, 16- or 64-bit length encoding.
void BM_frame_header_parse(benchmark::State& state, uint64_t len) {
  std::array<uint8_t, core::kMaxFrameHeader> header{};
  core::write_frame_header(header.data(), Opcode::Binary, true, len, kClientMaskKey);
  measured_loop(state, [&] {
    const uint8_t* p = header.data();
    benchmark::DoNotOptimize(p);  // the header is loop-invariant: make the compiler re-read it
    core::FrameHeader h;
    benchmark::DoNotOptimize(core::parse_frame_header({p, header.size()}, h));
    benchmark::DoNotOptimize(h);
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_frame_header_parse, len7_32B, uint64_t{32});
BENCHMARK_CAPTURE(BM_frame_header_parse, len16_4KiB, uint64_t{4096});
BENCHMARK_CAPTURE(BM_frame_header_parse, len64_1MiB, uint64_t{1} << 20);

// A server header (unmasked) as the pipelines write it, and a client header (masked).
void BM_frame_header_write(benchmark::State& state, uint64_t len, bool masked) {
  std::array<uint8_t, core::kMaxFrameHeader> out{};
  const std::optional<uint32_t> key = masked ? std::optional<uint32_t>(kClientMaskKey) : std::nullopt;
  measured_loop(state, [&] {
    uint64_t n = len;
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(core::write_frame_header(out.data(), Opcode::Binary, true, n, key));
    benchmark::ClobberMemory();
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_frame_header_write, server_len7_32B, uint64_t{32}, false);
BENCHMARK_CAPTURE(BM_frame_header_write, server_len16_4KiB, uint64_t{4096}, false);
BENCHMARK_CAPTURE(BM_frame_header_write, server_len64_1MiB, uint64_t{1} << 20, false);
BENCHMARK_CAPTURE(BM_frame_header_write, client_len16_4KiB, uint64_t{4096}, true);

// ------------------------------------------------------------------------------------ masking

// apply_mask over range(0) bytes, in place (what the parser does to every payload byte).
void BM_apply_mask(benchmark::State& state) {
  std::string data = binary_payload(static_cast<size_t>(state.range(0)));
  auto* p = reinterpret_cast<uint8_t*>(data.data());
  measured_loop(state, [&] {
    core::apply_mask(p, data.size(), kClientMaskKey);
    benchmark::ClobberMemory();
  });
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_apply_mask)->RangeMultiplier(4)->Range(16, 1 << 20);

// Odd length, odd start, key offset 3: the unaligned path a split frame takes.
void BM_apply_mask_unaligned(benchmark::State& state) {
  std::string data = binary_payload(static_cast<size_t>(state.range(0)) + 1);
  auto* p = reinterpret_cast<uint8_t*>(data.data()) + 1;
  const size_t n = static_cast<size_t>(state.range(0));
  measured_loop(state, [&] {
    core::apply_mask(p, n, kClientMaskKey, 3);
    benchmark::ClobberMemory();
  });
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_apply_mask_unaligned)->Arg(4095)->Arg(65535);

// ---------------------------------------------------------------------------------- handshake

// A fresh parser per request, as a session has, then the accept key: one connection's handshake.
void BM_handshake_parse_accept(benchmark::State& state) {
  const std::string request(kUpgradeRequest);
  measured_loop(state, [&] {
    const char* p = request.data();
    benchmark::DoNotOptimize(p);
    core::HandshakeParser parser;
    const core::HandshakeStatus st = parser.feed({p, request.size()});
    char accept[28];
    core::compute_accept_key(parser.request().key, accept);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(accept);
  });
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}
BENCHMARK(BM_handshake_parse_accept);

// The two halves alone: how much of a handshake is SHA-1.
void BM_handshake_parse(benchmark::State& state) {
  const std::string request(kUpgradeRequest);
  measured_loop(state, [&] {
    const char* p = request.data();
    benchmark::DoNotOptimize(p);
    core::HandshakeParser parser;
    benchmark::DoNotOptimize(parser.feed({p, request.size()}));
  });
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}
BENCHMARK(BM_handshake_parse);

void BM_accept_key(benchmark::State& state) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  measured_loop(state, [&] {
    char accept[28];
    core::compute_accept_key(key, accept);
    benchmark::DoNotOptimize(accept);
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_accept_key);

// ---------------------------------------------------------------------------------------- UTF-8

enum class TextKind { Ascii, Multibyte, Invalid };

void BM_utf8_valid(benchmark::State& state, TextKind kind) {
  const size_t n = static_cast<size_t>(state.range(0));
  const std::string text = kind == TextKind::Ascii       ? ascii_text(n)
                           : kind == TextKind::Multibyte ? multibyte_text(n)
                                                         : invalid_text(n);
  const bool expected = kind != TextKind::Invalid;
  if (core::utf8_valid({reinterpret_cast<const uint8_t*>(text.data()), text.size()}) != expected) {
    state.SkipWithError("the generated text does not have the validity this benchmark is named after");
  }
  measured_loop(state, [&] {
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    benchmark::DoNotOptimize(p);
    benchmark::DoNotOptimize(core::utf8_valid({p, n}));
  });
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK_CAPTURE(BM_utf8_valid, ascii, TextKind::Ascii)->Arg(4096)->Arg(64 << 10);
BENCHMARK_CAPTURE(BM_utf8_valid, multibyte, TextKind::Multibyte)->Arg(4096)->Arg(64 << 10);
// Invalid in the last byte: the whole buffer is scanned before the verdict.
BENCHMARK_CAPTURE(BM_utf8_valid, invalid_at_end, TextKind::Invalid)->Arg(4096)->Arg(64 << 10);

}  // namespace
}  // namespace wsalloc::micro
