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

// One worker's figures (a Worker, or its Worker::WindowResults under --hold: the same fields)
// added into `result`; returns its send-stop instant.
template <class Figures>
uint64_t add_figures(const Figures& f, RunResult& result) {
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
  return f.send_stop_ns;
}

// Sums the workers' counters, histograms and CPU into `result`; returns the last send-stop instant.
uint64_t collect_results(const Workers& workers, RunResult& result);

// This process's CPU time so far (all threads).
CpuTimes process_cpu_now();

}  // namespace wsalloc::load
