#include "load/run.hpp"

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "load/payload.hpp"
#include "load/prng.hpp"
#include "load/shared_state.hpp"
#include "load/worker.hpp"
#include "net/fd_limit.hpp"
#include "process/cpu_time.hpp"

namespace wsalloc::load {

namespace {

constexpr auto kTick = std::chrono::milliseconds(20);
constexpr uint64_t kAbortGraceNs = 3'000'000'000;  // after the hard timeout, for workers to notice

// The signal handler's view of the run (async-signal-safe: atomics and eventfd writes only).
std::atomic<SharedState*> g_shared{nullptr};
std::atomic<std::vector<std::unique_ptr<Worker>>*> g_workers{nullptr};

extern "C" void on_signal(int) {
  SharedState* sh = g_shared.load();
  if (sh == nullptr) return;
  // First signal: stop sending, drain, close cleanly. Second: give up now.
  if (sh->stop.exchange(true)) sh->abort.store(true);
  if (auto* ws = g_workers.load()) {
    for (auto& w : *ws) w->wake();
  }
}

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

}  // namespace

ExitCode exit_code_for(const RunResult& r) {
  if (r.timed_out) return ExitCode::Timeout;
  if (r.connections_established == 0) {
    return r.counters.errors.handshake_failed > 0 ? ExitCode::HandshakeFailed : ExitCode::ConnectFailed;
  }
  if (r.counters.errors.total() > 0) return ExitCode::Errors;
  return ExitCode::Ok;
}

namespace {

using Workers = std::vector<std::unique_ptr<Worker>>;

// Resolves the target into sh.addr and arms the message budget. False (with the reason in
// `result`) when the host does not resolve.
bool resolve_target(const Config& cfg, SharedState& sh, RunResult& result, size_t total_conns) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* ai = nullptr;
  const std::string port = std::to_string(cfg.port);
  if (const int rc = getaddrinfo(cfg.host.c_str(), port.c_str(), &hints, &ai); rc != 0 || ai == nullptr) {
    std::fprintf(stderr, "wsload: cannot resolve host \"%s\": %s\n", cfg.host.c_str(), gai_strerror(rc));
    result.first_errors.push_back("cannot resolve host \"" + cfg.host + "\"");
    result.counters.errors.connect_failed = total_conns;
    return false;
  }
  std::memcpy(&sh.addr, ai->ai_addr, ai->ai_addrlen);
  sh.addr_len = ai->ai_addrlen;
  freeaddrinfo(ai);
  if (cfg.messages > 0) {
    sh.budget_limited = true;
    sh.budget.store(static_cast<int64_t>(cfg.messages));
  }
  return true;
}

// Workers and their connections: echo connection i on worker i % T; broadcast sender on
// worker 0, receiver i on worker (i + 1) % T, so the sender's worker carries one receiver fewer.
// Throws what a Worker's constructor throws (epoll, eventfd).
Workers make_workers(const Config& cfg, SharedState& sh) {
  Workers workers;
  for (size_t t = 0; t < cfg.threads; ++t) {
    const uint64_t seed = cfg.seed ? cfg.seed * 0x9e3779b97f4a7c15ULL + t : fresh_seed();
    workers.push_back(std::make_unique<Worker>(sh, t, seed));
  }
  if (cfg.mode == Mode::Broadcast) {
    workers[0]->add_connection(static_cast<uint32_t>(cfg.connections), ConnRole::BroadcastSender);
    sh.broadcast.sender_worker = workers[0].get();
    for (size_t i = 0; i < cfg.connections; ++i) {
      workers[(i + 1) % cfg.threads]->add_connection(static_cast<uint32_t>(i), ConnRole::BroadcastReceiver);
    }
  } else {
    for (size_t i = 0; i < cfg.connections; ++i) workers[i % cfg.threads]->add_connection(static_cast<uint32_t>(i), ConnRole::Echo);
  }
  return workers;
}

void install_signal_handlers(SharedState& sh, Workers& workers) {
  g_shared.store(&sh);
  g_workers.store(&workers);
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

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

// Set-up: every worker connects its share; the window opens for all of them at once.
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

// Opens a measuring window of `warmup_s` + `duration_s` (or stops at once when set-up left nothing
// to run) and wakes the workers. Returns the instant the window's warm-up started.
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

// Watches the workers until all have finished (--hold: or drained the window): window markers,
// progress, the hard timeout (and, when workers ignore it, exit). Returns whether the hard timeout
// fired.
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
    uint64_t wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(kTick).count();
    const uint64_t before = mono_ns();
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
uint64_t collect_results(const Workers& workers, RunResult& result) {
  uint64_t stop_ns = 0;
  for (const auto& w : workers) stop_ns = std::max(stop_ns, add_figures(*w, result));
  return stop_ns;
}

void report_cannot_run(const Config& cfg, const Setup& setup, const RunResult& result, size_t total_conns) {
  const std::string first = result.first_errors.empty() ? std::string("no reason recorded") : result.first_errors.front();
  if (cfg.mode == Mode::Broadcast && !setup.sender_ok) {
    std::fprintf(stderr, "wsload: the broadcast sender could not connect to %s:%u%s: %s\n", cfg.host.c_str(), cfg.port,
                 cfg.path.c_str(), first.c_str());
  } else {
    std::fprintf(stderr, "wsload: %s (%llu of %zu connections established)\n", first.c_str(),
                 static_cast<unsigned long long>(setup.established), total_conns);
  }
}

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
// of one that finished: its drain timed out); returns the last send-stop instant.
uint64_t collect_window(const Workers& workers, RunResult& result) {
  uint64_t stop_ns = 0;
  for (const auto& w : workers) {
    const bool held = !w->finished.load(std::memory_order_acquire);
    stop_ns = std::max(stop_ns, held ? add_figures(w->window, result) : add_figures(*w, result));
  }
  return stop_ns;
}

CpuTimes process_cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return {process::seconds(ru.ru_utime), process::seconds(ru.ru_stime)};
}

// --hold: after set-up, one window per command, each printed as it ends (stdout, then "wsload:
// window done" on stderr); then the Close handshakes. Returns the worst window's exit code.
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
    sh.broadcast.sending_done.store(false, std::memory_order_release);
    watch.hard_deadline = mono_ns() + static_cast<uint64_t>((warmup_s + duration_s + cfg.drain_s + 10) * 1e9);
    const uint64_t start = open_window(watch, true, warmup_s, duration_s);
    window.timed_out = supervise(watch, start, true) || sh.abort.load();
    watch.progress.done();
    const uint64_t stop_ns = collect_window(watch.workers, window);
    window.duration_s = stop_ns > sh.window_start_ns ? (stop_ns - sh.window_start_ns) / 1e9 : 0.0;
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
  g_workers.store(nullptr);
  g_shared.store(nullptr);
  return bad && worst == ExitCode::Ok ? ExitCode::Usage : worst;
}

}  // namespace

// The phases in order: resolve, build the workers, start their threads, wait for set-up, open the
// window, supervise, collect.
ExitCode run_load(const Config& cfg, RunResult& result) {
  result = RunResult{};
  result.config = cfg.to_json();
  const size_t total_conns = cfg.connections + (cfg.mode == Mode::Broadcast ? 1 : 0);
  result.connections_requested = total_conns;
  net::raise_fd_limit();
  signal(SIGPIPE, SIG_IGN);

  // With --deflate, varied templates: compression ratios then come from content, not from repeats.
  PayloadCatalogue catalogue(cfg.payload_sizes, cfg.payload_weights, cfg.kind, 0x5eed, cfg.deflate(), cfg.publisher);
  SharedState sh(cfg, catalogue);
  if (!resolve_target(cfg, sh, result, total_conns)) return ExitCode::ConnectFailed;

  Workers workers;
  try {
    workers = make_workers(cfg, sh);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wsload: setting up %zu workers: %s\n", cfg.threads, e.what());
    return ExitCode::Internal;
  }
  install_signal_handlers(sh, workers);

  Watch watch{cfg, sh, workers, Progress(isatty(STDERR_FILENO) && !cfg.quiet)};
  watch.t0 = mono_ns();
  watch.hard_deadline = watch.t0 + static_cast<uint64_t>(cfg.effective_hard_timeout() * 1e9);
  std::vector<std::thread> threads;
  try {
    for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "wsload: starting worker threads: %s\n", e.what());
    sh.abort.store(true);
    for (auto& w : workers) w->wake();
    for (auto& t : threads) t.join();
    return ExitCode::Internal;
  }

  const Setup setup = wait_for_setup(watch, total_conns, result);
  if (cfg.hold && setup.can_run) return hold_windows(watch, threads, setup, total_conns, result);
  const uint64_t start = open_window(watch, setup.can_run, cfg.warmup_s, cfg.duration_s);
  const bool timed_out = supervise(watch, start, setup.can_run);
  for (auto& t : threads) t.join();
  watch.progress.done();
  g_workers.store(nullptr);
  g_shared.store(nullptr);

  const uint64_t stop_ns = collect_results(workers, result);
  result.duration_s = setup.can_run && stop_ns > sh.window_start_ns ? (stop_ns - sh.window_start_ns) / 1e9 : 0.0;
  result.connections_established = setup.can_run ? setup.established : 0;
  result.timed_out = timed_out || sh.abort.load();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  result.process_cpu = {process::seconds(ru.ru_utime), process::seconds(ru.ru_stime)};
  if (!setup.can_run) report_cannot_run(cfg, setup, result, total_conns);
  return exit_code_for(result);
}

ExitCode run_merge(const MergeArgs& args) {
  std::vector<RunResult> parts;
  for (const auto& f : args.files) {
    std::ifstream in(f);
    try {
      parts.push_back(result_from_json(nlohmann::json::parse(in)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wsload merge: %s: %s\n", f.c_str(), e.what());
      return ExitCode::Usage;
    }
  }
  const RunResult merged = merge_results(parts, args.sequential ? MergeKind::Sequential : MergeKind::Shards);
  if (args.json) {
    std::printf("%s\n", to_json(merged).dump().c_str());
  } else {
    std::printf("%s", human_summary(merged).c_str());
  }
  return ExitCode::Ok;
}

}  // namespace wsalloc::load
