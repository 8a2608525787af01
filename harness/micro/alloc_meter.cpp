#include "micro/alloc_meter.hpp"

#include <cstdio>
#include <cstdlib>
#include <limits>

namespace wsalloc::micro {
namespace {
AllocMeter* g_active = nullptr;  // set between Start() and Stop(); the runner is single-threaded here

// benchmark::MemoryManager::TombstoneValue, which libbenchmark 1.7.1 declares but does not export
// from the shared library (a reference fails to link). Its definition there is this value; the
// JSON reporter leaves out the fields that hold it (alloc_meter_test checks that).
constexpr int64_t kTombstone = std::numeric_limits<int64_t>::max();
}  // namespace

AllocMeter::AllocMeter() noexcept = default;
AllocMeter::~AllocMeter() {
  if (g_active == this) g_active = nullptr;
}

AllocMeter* AllocMeter::active() noexcept { return g_active; }

AllocMeter::Counts AllocMeter::now() const noexcept { return {scope_->allocations(), scope_->bytes()}; }

void AllocMeter::Start() {
  opened_.reset();
  closed_.reset();
  scope_.emplace();
  g_active = this;
}

void AllocMeter::open_window() noexcept { opened_ = now(); }
void AllocMeter::close_window() noexcept { closed_ = now(); }

void AllocMeter::Stop(Result* result) {
  g_active = nullptr;
  if (!opened_ || !closed_) {
    std::fprintf(stderr,
                 "AllocMeter: a memory pass ran a benchmark loop outside measured_loop(); its allocation "
                 "count would include set-up. Wrap the loop in measured_loop(state, body).\n");
    std::abort();
  }
  result->num_allocs = static_cast<int64_t>(closed_->allocations - opened_->allocations);
  result->total_allocated_bytes = static_cast<int64_t>(closed_->bytes - opened_->bytes);
  result->max_bytes_used = kTombstone;
  result->net_heap_growth = kTombstone;
  scope_.reset();
}

}  // namespace wsalloc::micro
