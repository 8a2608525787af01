#include "micro/alloc_meter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

// AllocMeter fed through the real benchmark 1.7.1 runner: registered benchmarks with known
// allocations, a reporter that keeps what the runner reports.
namespace wsalloc::micro {
namespace {

struct Seen {
  std::string name;
  bool has_memory = false;
  double allocs_per_iter = 0;
  int64_t num_allocs = 0;
  int64_t total_allocated_bytes = 0;
  int64_t max_bytes_used = 0;
  int64_t net_heap_growth = 0;
};

class KeepingReporter final : public benchmark::BenchmarkReporter {
 public:
  std::vector<Seen> runs;
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& reports) override {
    for (const Run& r : reports) {
      Seen s{r.benchmark_name(), r.memory_result != nullptr, r.allocs_per_iter};
      if (r.memory_result != nullptr) {  // valid only now: 1.7.1 owns it
        s.num_allocs = r.memory_result->num_allocs;
        s.total_allocated_bytes = r.memory_result->total_allocated_bytes;
        s.max_bytes_used = r.memory_result->max_bytes_used;
        s.net_heap_growth = r.memory_result->net_heap_growth;
      }
      runs.push_back(s);
    }
  }
};

class AllocMeterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    benchmark::RegisterMemoryManager(nullptr);
    benchmark::ClearRegisteredBenchmarks();
  }
  std::vector<Seen> run_all(bool with_meter) {
    if (with_meter) benchmark::RegisterMemoryManager(&meter_);
    KeepingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    return reporter.runs;
  }
  AllocMeter meter_;
};

constexpr int64_t kIterations = 10;  // the memory pass runs min(16, iterations) of them

// Five blocks of set-up, then exactly two allocations (4 + 100 bytes) per iteration.
void allocating_benchmark(benchmark::State& state) {
  std::vector<void*> setup;
  for (int i = 0; i < 5; ++i) setup.push_back(::operator new(64));
  benchmark::DoNotOptimize(setup.data());
  measured_loop(state, [] {
    int* a = new int(1);
    char* b = new char[100];
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    delete a;
    delete[] b;
  });
  for (void* p : setup) ::operator delete(p);
}

TEST_F(AllocMeterTest, counts_exactly_the_allocations_of_the_measured_loop) {
  benchmark::RegisterBenchmark("allocating", allocating_benchmark)->Iterations(kIterations);
  auto runs = run_all(true);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_TRUE(runs[0].has_memory);
  EXPECT_EQ(runs[0].num_allocs, 2 * kIterations) << "set-up allocations must not be charged";
  EXPECT_DOUBLE_EQ(runs[0].allocs_per_iter, 2.0);
  EXPECT_EQ(runs[0].total_allocated_bytes, (int64_t(sizeof(int)) + 100) * kIterations);
}

TEST_F(AllocMeterTest, reports_what_it_cannot_measure_as_the_tombstone_not_zero) {
  benchmark::RegisterBenchmark("allocating", allocating_benchmark)->Iterations(kIterations);
  auto runs = run_all(true);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].max_bytes_used, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(runs[0].net_heap_growth, std::numeric_limits<int64_t>::max());
}

TEST_F(AllocMeterTest, an_allocation_free_loop_reports_zero) {
  benchmark::RegisterBenchmark("quiet", [](benchmark::State& state) {
    std::vector<int> setup(1000);  // set-up only
    int x = 0;
    measured_loop(state, [&] { benchmark::DoNotOptimize(x += setup[0]); });
  })->Iterations(kIterations);
  auto runs = run_all(true);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].num_allocs, 0);
}

// The meter is active only in the memory pass: timed runs pay nothing for it.
TEST_F(AllocMeterTest, is_active_only_during_the_memory_pass) {
  static int calls_with_meter, calls_without;
  calls_with_meter = calls_without = 0;
  benchmark::RegisterBenchmark("probe", [](benchmark::State& state) {
    ++(AllocMeter::active() != nullptr ? calls_with_meter : calls_without);
    measured_loop(state, [] {});
  })->Iterations(kIterations);
  run_all(true);
  EXPECT_EQ(calls_with_meter, 1);
  EXPECT_GE(calls_without, 1);
  EXPECT_EQ(AllocMeter::active(), nullptr);
}

TEST_F(AllocMeterTest, without_a_registered_meter_nothing_is_reported) {
  benchmark::RegisterBenchmark("allocating", allocating_benchmark)->Iterations(kIterations);
  auto runs = run_all(false);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].has_memory);
}

TEST_F(AllocMeterTest, a_loop_outside_measured_loop_aborts_the_memory_pass_loudly) {
  benchmark::RegisterBenchmark("unwrapped", [](benchmark::State& state) {
    for (auto _ : state) {
    }
  })->Iterations(kIterations);
  EXPECT_DEATH(run_all(true), "outside measured_loop");
}

}  // namespace
}  // namespace wsalloc::micro
