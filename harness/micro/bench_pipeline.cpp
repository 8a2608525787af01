// Micro-benchmarks of the message pipelines: one echo round trip per iteration (message in, echo
// flushed, end of loop iteration) through each variant's session on the in-memory transport.
// Names: echo_32/<variant>, echo_512_text/<variant>, echo_64k/<variant>, fragmented/<variant>
// (the shapes of client_frames.hpp; wsalloc-instr measures the same ones).
// The time includes copying the read into the receive buffer (EchoRig::feed; what recv() would
// do): a copy of the wire bytes, small next to the pipeline's own. wsalloc-instr leaves it out of
// its counts.
#include <benchmark/benchmark.h>

#include <string>

#include "micro/alloc_meter.hpp"
#include "micro/client_frames.hpp"
#include "micro/echo_rig.hpp"

namespace wsalloc::micro {
namespace {

// Same as wsalloc-instr: enough to have seen the message size everywhere (arena blocks, pool
// classes, connection buffers), so the loop measures the steady state.
constexpr int kWarmupMessages = 16;

template <class Variant>
void BM_echo(benchmark::State& state, EchoShape shape) {
  const EchoMessage msg = build_echo_message(shape);
  EchoRig<Variant> rig(msg.wire.size());
  for (int i = 0; i < kWarmupMessages; ++i) rig.feed(msg.wire);
  const uint64_t written_before = rig.bytes_written();
  measured_loop(state, [&] { rig.feed(msg.wire); });
  // Every iteration must have produced exactly one echo, or the figure is not an echo's cost.
  if (rig.bytes_written() - written_before != msg.reply_bytes * static_cast<uint64_t>(state.iterations())) {
    state.SkipWithError("the session did not echo every message exactly once");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(msg.payload_bytes));
}

bool register_all() {
  for (EchoShape shape : kEchoShapes) {
    for_each_variant([&]<class Variant>() {
      const std::string name = std::string(shape_name(shape)) + "/" + std::string(Variant::kName);
      benchmark::RegisterBenchmark(name.c_str(), &BM_echo<Variant>, shape);
    });
  }
  return true;
}
[[maybe_unused]] const bool registered = register_all();

}  // namespace
}  // namespace wsalloc::micro
