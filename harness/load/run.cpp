#include "load/run.hpp"

#include <netdb.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "load/hold.hpp"
#include "load/payload.hpp"
#include "load/prng.hpp"
#include "load/run_watch.hpp"
#include "load/shared_state.hpp"
#include "load/worker.hpp"
#include "net/fd_limit.hpp"

namespace wsalloc::load {

namespace {

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

// Once the workers have stopped (or before they go out of scope): a late signal finds nothing.
void forget_signal_targets() {
  g_workers.store(nullptr);
  g_shared.store(nullptr);
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
    forget_signal_targets();
    return ExitCode::Internal;
  }

  const Setup setup = wait_for_setup(watch, total_conns, result);
  if (cfg.hold && setup.can_run) {
    const ExitCode code = hold_windows(watch, threads, setup, total_conns, result);
    forget_signal_targets();
    return code;
  }
  const uint64_t start = open_window(watch, setup.can_run, cfg.warmup_s, cfg.duration_s);
  const bool timed_out = supervise(watch, start, setup.can_run);
  for (auto& t : threads) t.join();
  watch.progress.done();
  forget_signal_targets();

  const WindowEnd end = collect_results(workers, result);
  result.duration_s = setup.can_run && end.send_stop_ns > sh.window_start_ns ? (end.send_stop_ns - sh.window_start_ns) / 1e9 : 0.0;
  result.drain_s = setup.can_run ? end.drain_s() : std::nullopt;
  result.connections_established = setup.can_run ? setup.established : 0;
  result.timed_out = timed_out || sh.abort.load();
  result.process_cpu = process_cpu_now();
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
