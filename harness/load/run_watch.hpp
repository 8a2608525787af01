// The phases of a run that the coordinator (run.cpp) and --hold (hold.cpp) share: the main
// thread's watch over the workers (set-up, a window opened and supervised to its end, progress,
// the hard timeout) and the workers' figures summed into a result.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "load/config.hpp"
#include "load/results.hpp"
#include "load/shared_state.hpp"
#include "load/worker.hpp"

namespace wsalloc::load {

using Workers = std::vector<std::unique_ptr<Worker>>;

// The one-line progress display on a terminal's stderr, rewritten in place.
class Progress {
 public:
  explicit Progress(bool on) : on_(on) {}
  void show(const std::string& text) {
    if (!on_) return;
    std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r\x1b[K");
  }

 private:
  bool on_;
  bool shown_ = false;
};

// The run as the main thread watches it: the clock, the deadline, the progress line.
struct Watch {
  const Config& cfg;
  SharedState& sh;
  Workers& workers;
  Progress progress;
  uint64_t t0 = 0;
  uint64_t hard_deadline = 0;
};

// What set-up achieved.
struct Setup {
  uint64_t established = 0;
  bool sender_ok = false;
  bool can_run = false;
};

bool all_finished(const Workers& workers);
uint64_t sum_live(const Workers& workers, std::atomic<uint64_t> Worker::*field);

// Set-up: every worker connects its share; the window opens for all of them at once.
Setup wait_for_setup(Watch& w, size_t total_conns, RunResult& result);

// Opens a measuring window of `warmup_s` + `duration_s` (or stops at once when set-up left nothing
// to run) and wakes the workers. Returns the instant the window's warm-up started.
uint64_t open_window(Watch& w, bool can_run, double warmup_s, double duration_s);

// Watches the workers until all have finished (--hold: or drained the window): window markers,
// progress, the hard timeout (and, when workers ignore it, exit). Returns whether the hard timeout
// fired.
bool supervise(Watch& w, uint64_t start, bool can_run);

// How a window ended over all workers: the last send stop and the last echo back.
struct WindowEnd {
  uint64_t send_stop_ns = 0;
  uint64_t drained_ns = 0;
  bool every_worker_drained = true;

  // Sending stopped -> the last echo back; nullopt when a drain timed out or nothing was sent.
  std::optional<double> drain_s() const noexcept {
    if (!every_worker_drained || send_stop_ns == 0 || drained_ns < send_stop_ns) return std::nullopt;
    return static_cast<double>(drained_ns - send_stop_ns) / 1e9;
  }
};

// One worker's figures (a Worker, or its Worker::WindowResults under --hold: the same fields)
// added into `result`, and its window's end into `end`.
template <class Figures>
void add_figures(const Figures& f, RunResult& result, WindowEnd& end) {
  result.counters.add(f.counters);
  result.latency.merge(f.latency);
  result.handshake_latency.merge(f.handshake_latency);
  result.cpu.user_s += f.cpu.user_s;
  result.cpu.sys_s += f.cpu.sys_s;
  for (const auto& e : f.first_errors) {
    if (result.first_errors.size() < 16 &&
        std::find(result.first_errors.begin(), result.first_errors.end(), e) == result.first_errors.end()) {
      result.first_errors.push_back(e);
    }
  }
  end.send_stop_ns = std::max(end.send_stop_ns, f.send_stop_ns);
  end.drained_ns = std::max(end.drained_ns, f.drained_ns);
  end.every_worker_drained = end.every_worker_drained && f.drained_ns != 0;
}

// Sums the workers' counters, histograms and CPU into `result`; returns how the window ended.
WindowEnd collect_results(const Workers& workers, RunResult& result);

// This process's CPU time so far (all threads).
CpuTimes process_cpu_now();

}  // namespace wsalloc::load
