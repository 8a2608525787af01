#pragma once
// worker.hpp: one poller thread of wsalloc-server: its listener, its connections, its memory plan.
//
// Nothing is shared between workers on the hot path: each has its own SO_REUSEPORT listener,
// receive buffer, memory plan and connection table. The main thread talks to a worker only
// through request_shutdown() (thread-safe). Route state (broadcast members, /work connections)
// belongs to the application (server_app.hpp); the worker tells it when a connection closes.
//
// The worker wires its pieces together, each with one job and its own header:
//   Acceptor<Worker>      accept, 503 refusal, resting the listener after accept errors (acceptor.hpp)
//   ConnectionTable<Conn> open connections, the graveyard, connection objects (connection_table.hpp)
//   enforce_timeouts      the sweep's handshake, send, idle and linger deadlines (connection_timeouts.hpp)
//   ServerApp<Conn>       the application and its route state (server_app.hpp)
// and keeps for itself: admitting a connection, the periodic sweep, shutdown and stats.
//
// kIo: the poller's backend. Epoll: readiness, accept4 in a loop, Connection. Uring: a multishot
// accept, UringConnection (uring_connection.hpp). Everything else is the same code.
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>

#include "memory/stats_json.hpp"
#include "net/executor.hpp"
#include "net/poller.hpp"
#include "net/socket.hpp"
#include "variants/acceptor.hpp"
#include "variants/broadcast_hub.hpp"
#include "variants/connection.hpp"
#include "variants/connection_budget.hpp"
#include "variants/connection_table.hpp"
#include "variants/connection_timeouts.hpp"
#include "variants/rate_limited_log.hpp"
#include "variants/server_app.hpp"
#include "variants/server_options.hpp"
#include "variants/server_variant.hpp"
#include "variants/session.hpp"
#include "variants/uring_connection.hpp"

namespace wsalloc::variants {

template <ServerVariant Variant, net::IoBackend kIo = net::IoBackend::Epoll>
class Worker {
 public:
  using Pipeline = typename Variant::Pipeline;
  using Plan = typename Pipeline::Plan;
  static constexpr bool kUring = kIo == net::IoBackend::Uring;
  using Conn = std::conditional_t<kUring, UringConnection<Worker>, Connection<Worker>>;
  using App = ServerApp<Conn>;
  using SessionT = Session<Pipeline, App>;

  // budget: the server-wide connection cap, shared with the other workers.
  // broadcast_hub: carries /broadcast messages between the workers (null: this one is alone).
  // work_executor: where /work handlers run (null = inline on this poller thread).
  Worker(const ServerOptions& options, int listen_fd, unsigned index, ConnectionBudget& budget,
         BroadcastHub* broadcast_hub = nullptr, net::Executor* work_executor = nullptr)
      : options_(options), plan_(Variant::make_plan(options)),
        conns_(Variant::kPooledConnections && options.allocator == Allocator::Variant),
        app_(poller_, options, broadcast_hub, index, work_executor),
        acceptor_(*this, poller_, listen_fd, index, log_), index_(index), budget_(budget) {
    stats_ = [this] { return stats_json(); };
  }
  ~Worker() {
    for (Conn* c : conns_) {
      if constexpr (kUring) {
        c->close_at_exit();  // the backend owns the descriptor; it closes it when torn down
      } else {
        ::close(c->fd());
      }
      conns_.destroy(c);
      budget_.give_back();
    }
    conns_.free_graveyard();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the loop on the calling thread until shutdown completes.
  void run() {
    acceptor_.start();
    poller_.on_iteration_end([this] {
      conns_.free_graveyard();
      plan_->after_iteration();
    });
    poller_.every(std::chrono::milliseconds(250), [this] { sweep(); });
    poller_.run();
    app_.on_loop_end();
  }

  // Thread-safe: start the graceful shutdown (close 1001 to every connection).
  void request_shutdown() {
    poller_.post_completion([this] { begin_shutdown(); });
  }

  static net::PollerOptions poller_options(const ServerOptions& o) {
    net::PollerOptions p;
    p.io = kIo;
    p.uring.buffers.count = o.uring_buffer_count;
    p.uring.buffers.bytes = o.uring_buffer_bytes;
    return p;
  }

  // ---- for Connection ----
  net::Poller& poller() noexcept { return poller_; }
  Plan& plan() noexcept { return *plan_; }
  App& app() noexcept { return app_; }
  const ServerOptions& options() const noexcept { return options_; }
  const StatsSource* stats_source() const noexcept { return &stats_; }
  // Bytes read from connections (before parsing): tests poll /stats for it to know the server
  // has read what they sent, instead of sleeping and hoping.
  void count_received(size_t n) noexcept { received_bytes_ += n; }
  void bury(Conn* c) {
    app_.on_close(c->session().app_state());
    conns_.bury(c);  // out of the table now; freed after the iteration (pending events may name it)
    budget_.give_back();
    ++closed_;
    if (shutting_down_ && conns_.empty()) poller_.stop();
  }

  // ---- for Acceptor ----
  // A new connection from either backend's accept.
  void adopt(int fd) {
    if (!budget_.try_take()) return acceptor_.refuse(fd);
    try {
      admit(fd);
    } catch (const std::exception& e) {
      // This connection only: it is refused, its descriptor and budget slot go back, and the
      // others are served on. Escaping, the exception would end the poller and every connection.
      log_.write("wsalloc-server: worker {}: refused a connection: {}", index_, e.what());
      budget_.give_back();
      acceptor_.refuse(fd);
      ++admit_failures_;
    }
  }

  std::string stats_json() const {
    return "{\"worker\":" + std::to_string(index_) + ",\"variant\":\"" + std::string(Variant::kName) +
           "\",\"connections\":" + std::to_string(conns_.size()) +
           ",\"accepted\":" + std::to_string(accepted_) + ",\"closed\":" + std::to_string(closed_) +
           ",\"refused\":" + std::to_string(acceptor_.refused()) +
           ",\"admit_failures\":" + std::to_string(admit_failures_) +
           ",\"accept_errors\":" + std::to_string(acceptor_.accept_errors()) +
           ",\"received_bytes\":" + std::to_string(received_bytes_) +
           ",\"backlog_trimmed_bytes\":" + std::to_string(backlog_trimmed_bytes_) +
           ",\"broadcast_members\":" + std::to_string(app_.broadcast_members()) + ",\"sweeps\":" + std::to_string(sweeps_) +
           ",\"connection_objects\":" +
           (conns_.pool() ? memory::stats_json(*conns_.pool()).dump() : std::string("\"new_delete\"")) +
           ",\"memory\":" + plan_->stats_json() + ",\"io\":" +
           (kUring ? poller_.uring()->stats_json()
                   : R"({"backend":"epoll","epoll_wait":)" + std::to_string(poller_.kernel_waits()) + "}") +
           ",\"app\":" + app_.stats_json() + "}";
  }

 private:
  // Sets up an accepted socket. Strong guarantee: when it throws (std::bad_alloc; watch() failing
  // with ENOSPC once epoll's max_user_watches is reached), nothing of the connection is left, and
  // the descriptor and the budget slot are still the caller's.
  void admit(int fd) {
    try {
      net::set_nodelay(fd);
    } catch (const std::system_error&) {
      // not TCP (cannot happen on our listener) or already reset: serve it anyway
    }
    // The table makes room first, so nothing can throw once the connection is in it.
    Conn* c = conns_.create(*this, fd);
    try {
      if constexpr (kUring) {
        c->start();
      } else {
        poller_.watch(fd, c, net::kReadable);
      }
    } catch (...) {
      conns_.destroy(c);
      throw;
    }
    conns_.add(c);
    ++accepted_;
  }

  void sweep() {
    ++sweeps_;
    const auto now = Conn::Clock::now();
    // Backwards: a connection closed or aborted here swap-removes the current entry.
    for (size_t i = conns_.size(); i-- > 0;) enforce_timeouts(*conns_[i], now, options_);
    // Memory a burst needed and a recovered connection no longer does: backlogs (hysteresis in
    // Backlog::trim_if_idle), then the plan's idle chunks.
    for (Conn* c : conns_) backlog_trimmed_bytes_ += c->session().pipeline().trim_idle();
    plan_->trim_idle();
    if (shutting_down_ && Conn::Clock::now() > shutdown_deadline_) {
      for (size_t i = conns_.size(); i-- > 0;) conns_[i]->abort();
      poller_.stop();
    }
  }

  void begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    shutdown_deadline_ = Conn::Clock::now() + options_.shutdown_grace;
    acceptor_.stop();
    for (size_t i = conns_.size(); i-- > 0;) conns_[i]->close(core::CloseCode::GoingAway, "server shutting down");
    if (conns_.empty()) poller_.stop();
  }

  const ServerOptions& options_;
  net::Poller poller_{poller_options(options_)};
  std::unique_ptr<Plan> plan_;
  ConnectionTable<Conn> conns_;
  App app_;
  RateLimitedLog log_;
  Acceptor<Worker, kUring> acceptor_;
  StatsSource stats_;
  unsigned index_;
  ConnectionBudget& budget_;
  uint64_t accepted_ = 0, closed_ = 0;
  uint64_t admit_failures_ = 0;  // accepted, then refused: setting the connection up threw
  uint64_t received_bytes_ = 0;
  uint64_t backlog_trimmed_bytes_ = 0;  // capacity idle backlogs gave back (Backlog::trim_if_idle)
  uint64_t sweeps_ = 0;                 // timer sweeps run: tests wait for the first (it sizes a queue)
  bool shutting_down_ = false;
  typename Conn::Clock::time_point shutdown_deadline_{};
};

}  // namespace wsalloc::variants
