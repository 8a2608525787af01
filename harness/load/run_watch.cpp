#include "load/run_watch.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "process/cpu_time.hpp"

namespace wsalloc::load {

namespace {

constexpr auto kTick = std::chrono::milliseconds(20);
// After the window: how often to look whether the workers have drained. A held window's result
// waits for that look (wsbench's precision rounds run hundreds of windows), so it is short.
constexpr auto kDrainTick = std::chrono::milliseconds(2);
constexpr uint64_t kAbortGraceNs = 3'000'000'000;  // after the hard timeout, for workers to notice

}  // namespace

bool all_finished(const Workers& workers) {
  for (const auto& w : workers) {
    if (!w->finished.load(std::memory_order_acquire)) return false;
  }
  return true;
}

uint64_t sum_live(const Workers& workers, std::atomic<uint64_t> Worker::*field) {
  uint64_t s = 0;
  for (const auto& w : workers) s += ((*w).*field).load(std::memory_order_relaxed);
  return s;
}

Setup wait_for_setup(Watch& w, size_t total_conns, RunResult& result) {
  uint64_t next_progress = w.t0 + 1'000'000'000;
  while (w.sh.setup_done.load(std::memory_order_acquire) < w.workers.size() && !all_finished(w.workers)) {
    std::this_thread::sleep_for(kTick);
    const uint64_t now = mono_ns();
    if (now >= w.hard_deadline) {
      w.sh.abort.store(true);
      break;
    }
    if (now >= next_progress) {
      w.progress.show(fmt::format("[{:5.1f} s] connecting: {} of {} handshakes", (now - w.t0) / 1e9,
                                  sum_live(w.workers, &Worker::live_handshakes), total_conns));
      next_progress += 1'000'000'000;
    }
  }
  Setup s;
  uint64_t setup_end = mono_ns();
  s.sender_ok = w.cfg.mode != Mode::Broadcast;
  if (w.sh.setup_done.load(std::memory_order_acquire) == w.workers.size()) {
    setup_end = w.t0;
    for (auto& worker : w.workers) {
      s.established += worker->established;
      s.sender_ok = s.sender_ok || worker->sender_established;
      setup_end = std::max(setup_end, worker->setup_end_ns);
    }
  }
  result.setup_s = (setup_end - w.t0) / 1e9;
  s.can_run = s.established > 0 && s.sender_ok && (w.cfg.mode != Mode::Broadcast || s.established > 1);
  return s;
}

uint64_t open_window(Watch& w, bool can_run, double warmup_s, double duration_s) {
  if (!can_run) w.sh.stop.store(true);
  const uint64_t start = mono_ns();
  w.sh.window_start_ns = start + static_cast<uint64_t>(warmup_s * 1e9);
  w.sh.window_end_ns = duration_s > 0 ? w.sh.window_start_ns + static_cast<uint64_t>(duration_s * 1e9) : UINT64_MAX;
  w.sh.start_ns.store(start, std::memory_order_relaxed);
  w.sh.windows_released.fetch_add(1, std::memory_order_release);
  for (auto& worker : w.workers) worker->wake();
  return start;
}

bool supervise(Watch& w, uint64_t start, bool can_run) {
  SharedState& sh = w.sh;
  uint64_t last_msgs = 0, last_t = start;
  uint64_t next_progress = start + 1'000'000'000;
  bool timed_out = false;
  // Window markers on stderr (even with --quiet), printed at the instants themselves, so a
  // harness can read the server's CPU and allocation counters exactly at the window's edges.
  bool start_marked = !can_run, end_marked = !can_run || sh.window_end_ns == UINT64_MAX;
  auto mark = [](const char* what) {
    std::fprintf(stderr, "wsload: window %s\n", what);
    std::fflush(stderr);
  };
  auto over = [&] {
    if (!w.cfg.hold) return all_finished(w.workers);
    size_t finished = 0;
    for (const auto& worker : w.workers) finished += worker->finished.load(std::memory_order_acquire);
    return finished + sh.held.load(std::memory_order_acquire) >= w.workers.size();
  };
  while (!over()) {
    const uint64_t before = mono_ns();
    uint64_t wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(before >= sh.window_end_ns ? kDrainTick : kTick).count();
    const uint64_t next_mark = !start_marked ? sh.window_start_ns : !end_marked ? sh.window_end_ns : UINT64_MAX;
    if (next_mark > before && next_mark - before < wait_ns) wait_ns = next_mark - before;
    std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
    const uint64_t now = mono_ns();
    if (!start_marked && now >= sh.window_start_ns) {
      mark("start");
      start_marked = true;
    }
    if (start_marked && !end_marked && now >= sh.window_end_ns) {
      mark("end");
      end_marked = true;
    }
    if (now >= w.hard_deadline && !sh.abort.load()) {
      timed_out = true;
      sh.abort.store(true);
      for (auto& worker : w.workers) worker->wake();
      std::fprintf(stderr, "\nwsload: hard timeout after %.1f s: stopping with partial results\n", w.cfg.effective_hard_timeout());
    }
    if (timed_out && now >= w.hard_deadline + kAbortGraceNs) {
      std::fprintf(stderr, "wsload: workers did not stop within 3 s of the hard timeout; exiting\n");
      std::fflush(nullptr);
      _exit(static_cast<int>(ExitCode::Timeout));
    }
    if (now >= next_progress) {
      const uint64_t msgs = sum_live(w.workers, &Worker::live_messages);
      const char* phase = now < sh.window_start_ns ? "warm-up" : now < sh.window_end_ns ? "measuring" : "draining";
      w.progress.show(fmt::format("[{:5.1f} s] {}: {} msgs  {:.0f} msg/s  errors {}", (now - w.t0) / 1e9, phase, msgs,
                                  (msgs - last_msgs) * 1e9 / static_cast<double>(now - last_t),
                                  sum_live(w.workers, &Worker::live_errors)));
      last_msgs = msgs;
      last_t = now;
      next_progress += 1'000'000'000;
    }
  }
  return timed_out;
}

WindowEnd collect_results(const Workers& workers, RunResult& result) {
  WindowEnd end;
  for (const auto& w : workers) add_figures(*w, result, end);
  return end;
}

CpuTimes process_cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {process::seconds(ru.ru_utime), process::seconds(ru.ru_stime)};
}

}  // namespace wsalloc::load
