// wsalloc-micro: Google Benchmark micro-benchmarks of the protocol core (bench_core.cpp) and of
// the pipelines (bench_pipeline.cpp), with exact allocations per iteration from AllocMeter.
//
//   wsalloc-micro [benchmark flags] [--alloc_counts=auto|on|off]
//
// --alloc_counts: auto (default) counts allocations only when --benchmark_repetitions is 1 (or
// unset), because benchmark 1.7.1 reports garbage memory figures for all but the last repetition
// (see alloc_meter.hpp); on insists (and refuses to run with repetitions); off never counts.
// `make micro` runs it once with one repetition and writes build/micro.json.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "micro/alloc_meter.hpp"

namespace {

enum class AllocCounts { Auto, On, Off };

// --benchmark_repetitions as benchmark 1.7.1 reads it: the flag wins over BENCHMARK_REPETITIONS.
long repetitions_requested(int argc, char** argv) {
  const char* value = std::getenv("BENCHMARK_REPETITIONS");
  constexpr std::string_view kFlag = "--benchmark_repetitions=";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).substr(0, kFlag.size()) == kFlag) value = argv[i] + kFlag.size();
  }
  return value == nullptr ? 1 : std::strtol(value, nullptr, 10);
}

}  // namespace

int main(int argc, char** argv) {
  AllocCounts mode = AllocCounts::Auto;
  constexpr std::string_view kOwnFlag = "--alloc_counts=";
  int kept = 1;
  for (int i = 1; i < argc; ++i) {  // take our flag out before benchmark sees (and rejects) it
    std::string_view arg = argv[i];
    if (arg.substr(0, kOwnFlag.size()) != kOwnFlag) {
      argv[kept++] = argv[i];
      continue;
    }
    std::string_view v = arg.substr(kOwnFlag.size());
    if (v == "auto") mode = AllocCounts::Auto;
    else if (v == "on") mode = AllocCounts::On;
    else if (v == "off") mode = AllocCounts::Off;
    else {
      std::fprintf(stderr, "wsalloc-micro: --alloc_counts=%.*s: expected auto, on or off\n", int(v.size()), v.data());
      return 2;
    }
  }
  argc = kept;
  argv[argc] = nullptr;

  const long reps = repetitions_requested(argc, argv);
  if (mode == AllocCounts::On && reps > 1) {
    std::fprintf(stderr,
                 "wsalloc-micro: --alloc_counts=on with --benchmark_repetitions=%ld: benchmark 1.7.1 corrupts "
                 "memory results across repetitions; count allocations with one repetition\n", reps);
    return 2;
  }
  const bool count = mode == AllocCounts::On || (mode == AllocCounts::Auto && reps <= 1);
  if (!count && mode == AllocCounts::Auto) {
    std::fprintf(stderr, "wsalloc-micro: %ld repetitions: allocation counts off (benchmark 1.7.1 corrupts them "
                 "across repetitions; run once more with one repetition to count)\n", reps);
  }

  wsalloc::micro::AllocMeter meter;
  if (count) benchmark::RegisterMemoryManager(&meter);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  benchmark::RegisterMemoryManager(nullptr);
  return 0;
}
