#include "variants/server.hpp"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "net/io_backend.hpp"
#include "net/socket.hpp"
#include "net/thread_pool_executor.hpp"
#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/worker.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"

namespace wsalloc::variants {
namespace {

template <class Variant, net::IoBackend kIo>
int serve(const ServerOptions& o) {
  // Signals are taken by sigwait on the main thread only; workers never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a peer that vanished is an EPIPE from writev, not a death

  const bool reuse_port = o.threads > 1;
  std::vector<int> listeners;
  uint16_t port = o.port;
  try {
    for (unsigned i = 0; i < o.threads; ++i) {
      listeners.push_back(net::listen_tcp(o.host, port, reuse_port));
      port = net::local_port(listeners.back());  // port 0: the others join the port the first got
    }
  } catch (const std::system_error& e) {
    fmt::print(stderr, "wsalloc-server: cannot listen on {}:{}: {}\n", o.host, o.port, e.what());
    return kExitFailure;
  }

  // Declared before the workers so it outlives them: its threads may still finish a /work task.
  std::unique_ptr<net::ThreadPoolExecutor> pool;
  if (o.work_on_pool) pool = std::make_unique<net::ThreadPoolExecutor>(o.work_threads);
  ConnectionBudget budget(o.max_connections);
  // Declared before the workers so it outlives them: /broadcast between their threads.
  std::unique_ptr<BroadcastHub> hub;
  if (o.threads > 1) hub = std::make_unique<BroadcastHub>(o.threads);
  std::vector<std::unique_ptr<Worker<Variant, kIo>>> workers;
  for (unsigned i = 0; i < o.threads; ++i)
    workers.push_back(std::make_unique<Worker<Variant, kIo>>(o, listeners[i], i, budget, hub.get(), pool.get()));
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  fmt::print("listening on {}:{}\n", o.host, port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  for (auto& w : workers) w->request_shutdown();
  for (auto& t : threads) t.join();
  if (pool) pool->shutdown();

  std::string stats = "{\"variant\":\"" + std::string(Variant::kName) + "\",\"io\":\"" + net::to_string(kIo) +
                      "\",\"workers\":[";
  for (size_t i = 0; i < workers.size(); ++i) stats += (i ? "," : "") + workers[i]->stats_json();
  stats += "]}";
  fmt::print(stderr, "{}\n", stats);
  if (!o.stats_out.empty()) std::ofstream(o.stats_out) << stats << '\n';
  return kExitOk;
}

template <class Variant>
int serve_on(const ServerOptions& o) {
  if (o.io == net::IoBackend::Uring) return serve<Variant, net::IoBackend::Uring>(o);
  return serve<Variant, net::IoBackend::Epoll>(o);
}

}  // namespace

bool variant_known(std::string_view name) {
  return name == MallocVariant::kName || name == ArenaVariant::kName || name == PoolVariant::kName ||
         name == ZeroCopyVariant::kName;
}

int run_server(const ServerOptions& o) {
  if (o.io == net::IoBackend::Uring) {
    if (const net::UringSupport& u = net::probe_uring(); !u.available) {
      fmt::print(stderr, "wsalloc-server: --io uring: io_uring is not available here: {}; use --io epoll\n", u.reason);
      return kExitUsage;
    }
  }
  if (o.variant == MallocVariant::kName) return serve_on<MallocVariant>(o);
  if (o.variant == ArenaVariant::kName) return serve_on<ArenaVariant>(o);
  if (o.variant == PoolVariant::kName) return serve_on<PoolVariant>(o);
  if (o.variant == ZeroCopyVariant::kName) return serve_on<ZeroCopyVariant>(o);
  fmt::print(stderr, "wsalloc-server: unknown variant '{}'\n", o.variant);
  return kExitUsage;
}

}  // namespace wsalloc::variants
