#include "load/hold.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "load/run.hpp"

namespace wsalloc::load {

namespace {

// --hold: how long wsload waits for the next command before it closes and exits by itself.
constexpr int kHoldIdleMs = 120'000;

// --hold: the next command on stdin. Returns the window's warm-up and duration, or nullopt to end
// the hold (quit, end of input, kHoldIdleMs without a command, SIGINT/SIGTERM, or a line that is
// not a command: then `bad` is set and the reason printed).
// Lines are read with read(2) into `pending`, not through stdio: a line stdio had buffered would be
// invisible to poll().
std::optional<std::pair<double, double>> next_hold_command(const SharedState& sh, std::string& pending, bool& bad) {
  size_t nl;
  bool ended = false;
  for (int waited = 0; (nl = pending.find('\n')) == std::string::npos;) {
    if (ended || waited >= kHoldIdleMs || sh.stop.load()) return std::nullopt;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    waited += 100;
    if (ready < 0 && errno != EINTR) return std::nullopt;
    if (ready <= 0) continue;
    char buf[256];
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ended = true;  // end of input: a last line without its newline still counts
      if (!pending.empty()) pending += '\n';
      continue;
    }
    pending.append(buf, static_cast<size_t>(n));
    if (pending.size() > 4096) pending.erase(0, pending.size() - 4096);  // garbage: keep it bounded
  }
  char line[256] = {0};
  const std::string text = pending.substr(0, std::min(nl, sizeof line - 1));
  pending.erase(0, nl + 1);
  std::memcpy(line, text.data(), text.size());
  char verb[32] = {0};
  double warmup = -1, duration = -1;
  char extra = 0;
  const int n = std::sscanf(line, "%31s %lf %lf %c", verb, &warmup, &duration, &extra);
  if (n >= 1 && std::strcmp(verb, "quit") == 0 && n == 1) return std::nullopt;
  if (n == 3 && std::strcmp(verb, "window") == 0 && warmup >= 0 && warmup <= 3600 && duration > 0 && duration <= 3600) {
    return std::pair{warmup, duration};
  }
  line[std::strcspn(line, "\r")] = 0;
  std::fprintf(stderr, "wsload: --hold: \"%s\" is not a command (expected \"window W D\", W >= 0 and 0 < D <= 3600 s, or \"quit\")\n", line);
  bad = true;
  return std::nullopt;
}

// --hold: one window's result from the workers (a drained worker's snapshot, or the live figures
// of one that finished: its drain timed out); returns how the window ended.
WindowEnd collect_window(const Workers& workers, RunResult& result) {
  WindowEnd end;
  for (const auto& w : workers) {
    if (w->finished.load(std::memory_order_acquire)) {
      add_figures(*w, result, end);
    } else {
      add_figures(w->window, result, end);
    }
  }
  return end;
}

}  // namespace

ExitCode hold_windows(Watch& watch, std::vector<std::thread>& threads, const Setup& setup, size_t total_conns,
                      RunResult& result) {
  const Config& cfg = watch.cfg;
  SharedState& sh = watch.sh;
  ExitCode worst = ExitCode::Ok;
  bool bad = false, any_finished = false;
  std::string pending;
  for (uint64_t n = 1; !any_finished; ++n) {
    const auto command = next_hold_command(sh, pending, bad);
    if (!command) break;
    const auto [warmup_s, duration_s] = *command;
    RunResult window;
    window.config = cfg.to_json();
    window.config["warmup_s"] = warmup_s;
    window.config["duration_s"] = duration_s;
    window.connections_requested = total_conns;
    window.connections_established = setup.established;
    window.setup_s = n == 1 ? result.setup_s : 0.0;
    const CpuTimes cpu_before = process_cpu_now();
    sh.held.store(0, std::memory_order_relaxed);
    // --messages is each window's own budget: the last window may have spent it.
    if (sh.budget_limited) sh.budget.store(static_cast<int64_t>(cfg.messages), std::memory_order_relaxed);
    sh.broadcast.sending_done.store(false, std::memory_order_release);
    watch.hard_deadline = mono_ns() + static_cast<uint64_t>((warmup_s + duration_s + cfg.drain_s + 10) * 1e9);
    const uint64_t start = open_window(watch, true, warmup_s, duration_s);
    window.timed_out = supervise(watch, start, true) || sh.abort.load();
    watch.progress.done();
    const WindowEnd end = collect_window(watch.workers, window);
    window.duration_s = end.send_stop_ns > sh.window_start_ns ? (end.send_stop_ns - sh.window_start_ns) / 1e9 : 0.0;
    window.drain_s = end.drain_s();
    const CpuTimes cpu_after = process_cpu_now();
    window.process_cpu = {cpu_after.user_s - cpu_before.user_s, cpu_after.sys_s - cpu_before.sys_s};
    for (const auto& w : watch.workers) any_finished = any_finished || w->finished.load(std::memory_order_acquire);
    if (cfg.json) {
      std::printf("%s\n", to_json(window).dump().c_str());
    } else {
      std::printf("%s", human_summary(window).c_str());
    }
    std::fflush(stdout);
    std::fprintf(stderr, "wsload: window done\n");
    std::fflush(stderr);
    ++result.windows_printed;
    const ExitCode code = exit_code_for(window);
    if (worst == ExitCode::Ok) worst = code;
    if (window.timed_out) break;
  }
  sh.end_hold.store(true, std::memory_order_release);
  for (auto& w : watch.workers) w->wake();
  for (auto& t : threads) t.join();
  return bad && worst == ExitCode::Ok ? ExitCode::Usage : worst;
}

}  // namespace wsalloc::load
