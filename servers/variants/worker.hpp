#pragma once
// worker.hpp: one poller thread of wsalloc-server: its listener, its connections, its memory plan.
//
// Nothing is shared between workers on the hot path: each has its own SO_REUSEPORT listener,
// receive buffer, memory plan and connection table. The main thread talks to a worker only
// through request_shutdown() (thread-safe). Route state (broadcast members, /work connections)
// belongs to the application (server_app.hpp); the worker tells it when a connection closes.
//
// kIo: the poller's backend. Epoll: readiness, accept4 in a loop, Connection. Uring: a multishot
// accept, UringConnection (uring_connection.hpp). Everything else is the same code.
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "memory/object_pool.hpp"
#include "memory/stats_json.hpp"
#include "net/poller.hpp"
#include "net/socket.hpp"
#include "variants/connection.hpp"
#include "variants/connection_budget.hpp"
#include "variants/server_variant.hpp"
#include "variants/rate_limited_log.hpp"
#include "variants/uring_connection.hpp"
#include "net/executor.hpp"
#include "variants/broadcast_hub.hpp"
#include "variants/server_app.hpp"
#include "variants/server_options.hpp"
#include "variants/session.hpp"

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
        app_(poller_, options, broadcast_hub, index, work_executor), listen_fd_(listen_fd), index_(index),
        budget_(budget) {
    if (Variant::kPooledConnections && options.allocator == Allocator::Variant)
      conn_pool_ = std::make_unique<memory::ObjectPool<Conn>>("connections");
    listener_.worker = this;
    stats_ = [this] { return stats_json(); };
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ~Worker() {
    for (Conn* c : conns_) {
      if constexpr (kUring) {
        c->close_at_exit();  // the backend owns the descriptor; it closes it when torn down
      } else {
        ::close(c->fd());
      }
      destroy(c);
      budget_.give_back();
    }
    free_graveyard();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (spare_fd_ >= 0) ::close(spare_fd_);
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs the loop on the calling thread until shutdown completes.
  void run() {
    if constexpr (kUring) {
      accepting_ = poller_.uring()->accept(listen_fd_, &listener_);
    } else {
      poller_.watch(listen_fd_, &listener_, net::kReadable);
    }
    poller_.on_iteration_end([this] {
      free_graveyard();
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
    // Swap-remove from the table now; free after the iteration (pending events may name it).
    size_t i = c->index();
    conns_[i] = conns_.back();
    conns_[i]->index() = i;
    conns_.pop_back();
    graveyard_.push_back(c);
    budget_.give_back();
    ++closed_;
    if (shutting_down_ && conns_.empty()) poller_.stop();
  }

  std::string stats_json() const {
    return "{\"worker\":" + std::to_string(index_) + ",\"variant\":\"" + std::string(Variant::kName) +
           "\",\"connections\":" + std::to_string(conns_.size()) +
           ",\"accepted\":" + std::to_string(accepted_) + ",\"closed\":" + std::to_string(closed_) +
           ",\"refused\":" + std::to_string(refused_) + ",\"admit_failures\":" + std::to_string(admit_failures_) +
           ",\"accept_errors\":" + std::to_string(accept_errors_) +
           ",\"received_bytes\":" + std::to_string(received_bytes_) +
           ",\"backlog_trimmed_bytes\":" + std::to_string(backlog_trimmed_bytes_) +
           ",\"broadcast_members\":" + std::to_string(app_.broadcast_members()) + ",\"sweeps\":" + std::to_string(sweeps_) +
           ",\"connection_objects\":" +
           (conn_pool_ ? memory::stats_json(*conn_pool_).dump() : std::string("\"new_delete\"")) +
           ",\"memory\":" + plan_->stats_json() + ",\"io\":" +
           (kUring ? poller_.uring()->stats_json()
                   : R"({"backend":"epoll","epoll_wait":)" + std::to_string(poller_.kernel_waits()) + "}") +
           ",\"app\":" + app_.stats_json() + "}";
  }

 private:
  struct Listener final : net::IoHandler, net::AcceptHandler {
    Worker* worker = nullptr;
    void on_io(uint32_t) override { worker->accept_ready(); }               // epoll
    void on_accepted(int fd) override { worker->adopt(fd); }                // uring
    void on_accept_failed(int err) override { worker->accept_ended(err); }   // uring
  };

  void accept_ready() {
    // Bounded per event so one busy listener cannot starve established connections.
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if ((err == EMFILE || err == ENFILE) && refuse_with_spare_fd()) return;
        return accept_failed(err);
      }
      adopt(fd);
    }
  }

  // A new connection from either backend's accept.
  void adopt(int fd) {
    if (!budget_.try_take()) return refuse(fd);
    try {
      admit(fd);
    } catch (const std::exception& e) {
      // This connection only: it is refused, its descriptor and budget slot go back, and the
      // others are served on. Escaping, the exception would end the poller and every connection.
      log_.write("wsalloc-server: worker {}: refused a connection: {}", index_, e.what());
      budget_.give_back();
      refuse(fd);
      ++admit_failures_;
    }
  }

  // Sets up an accepted socket. Strong guarantee: when it throws (std::bad_alloc; watch() failing
  // with ENOSPC once epoll's max_user_watches is reached), nothing of the connection is left, and
  // the descriptor and the budget slot are still the caller's.
  void admit(int fd) {
    try {
      net::set_nodelay(fd);
    } catch (const std::system_error&) {
      // not TCP (cannot happen on our listener) or already reset: serve it anyway
    }
    // Room first, so nothing can throw once the connection is in the table. Every connection may
    // close in one iteration: the graveyard keeps room for all of them, so a burst of closes never
    // allocates (bury() runs inside callbacks).
    if (conns_.size() == conns_.capacity()) conns_.reserve(std::max<size_t>(16, 2 * conns_.capacity()));
    if (graveyard_.capacity() < conns_.capacity()) graveyard_.reserve(conns_.capacity());
    Conn* c = conn_pool_ ? conn_pool_->create(*this, fd) : new Conn(*this, fd);
    try {
      if constexpr (kUring) {
        c->start();
      } else {
        poller_.watch(fd, c, net::kReadable);
      }
    } catch (...) {
      destroy(c);
      throw;
    }
    c->index() = conns_.size();
    conns_.push_back(c);
    ++accepted_;
  }

  // uring: the multishot accept ended with this error (the backend has re-armed it already).
  void accept_ended(int err) {
    if (err == EINTR || err == ECONNABORTED) return;
    if ((err == EMFILE || err == ENFILE) && refuse_with_spare_fd()) return;
    accept_failed(err);
  }

  // accept failed for a reason that leaves the connection queued (ENOBUFS, ENOMEM, EPERM, out of
  // descriptors without a spare): the level-triggered listener (epoll) or the re-armed multishot
  // accept (uring) would fire again at once and spin. Say so (rate-limited) and stop listening for
  // a moment.
  [[gnu::noinline]] void accept_failed(int err) {
    ++accept_errors_;
    log_.write("wsalloc-server: worker {}: accept4(listen fd {}): {} (errno {}); not accepting for {} ms",
               index_, listen_fd_, std::strerror(err), err, kAcceptBackoff.count());
    if (listener_paused_) return;
    try {
      if constexpr (kUring) {
        poller_.uring()->stop_accepting(accepting_);
      } else {
        poller_.rewatch(listen_fd_, &listener_, 0);
      }
      poller_.after(kAcceptBackoff, [this] { resume_listener(); });
      listener_paused_ = true;
    } catch (const std::exception& e) {
      log_.write("wsalloc-server: worker {}: cannot pause the listener: {}", index_, e.what());
    }
  }

  void resume_listener() {
    if (!listener_paused_ || listen_fd_ < 0) return;  // shutting down: the listener is gone
    if constexpr (kUring) {
      accepting_ = poller_.uring()->accept(listen_fd_, &listener_);
    } else {
      poller_.rewatch(listen_fd_, &listener_, net::kReadable);
    }
    listener_paused_ = false;
  }

  // Out of file descriptors: accept with the spare fd and refuse at once, so the client gets an
  // answer instead of hanging in the backlog, while existing connections keep working.
  // Returns false when there was no spare descriptor to do it with.
  [[gnu::noinline]] bool refuse_with_spare_fd() {
    if (spare_fd_ < 0) return false;
    ::close(spare_fd_);
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) refuse(fd);
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return true;
  }

  // Over capacity: a 503 the client can act on (Retry-After), then close. Best effort and
  // non-blocking: a fresh socket's send buffer always takes these few bytes. SHUT_WR first so the
  // answer leaves with a FIN ahead of any reset the unread request may cause.
  [[gnu::noinline]] void refuse(int fd) {
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
        "Content-Type: text/plain\r\nContent-Length: 31\r\n\r\nserver at its connection limit\n";
    [[maybe_unused]] ssize_t n = ::send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
    ++refused_;
  }

  void sweep() {
    ++sweeps_;
    const auto now = Conn::Clock::now();
    const auto& o = options_;
    // Iterate backwards: abort() swap-removes the current entry.
    for (size_t i = conns_.size(); i-- > 0;) {
      Conn* c = conns_[i];
      const auto quiet = now - c->since();
      switch (c->link()) {
        case LinkState::Live:
          if (c->session().phase() == SessionPhase::Handshaking && now - c->opened() > o.handshake_timeout) {
            c->abort();
          } else if (c->send_stalled(now, o.send_timeout)) {
            c->abort(/*reset=*/true);  // a close frame would only queue behind what it never takes
          } else if (o.idle_timeout.count() > 0 && quiet > o.idle_timeout) {
            close_idle(c, quiet);
          }
          break;
        case LinkState::Flushing:  // our last bytes are not taken: the peer stopped reading
          if (quiet > o.close_linger) c->abort(/*reset=*/true);
          break;
        case LinkState::Draining:  // all sent; the peer never closed its side
          if (quiet > o.close_linger) c->abort();
          break;
        case LinkState::Dead: break;
      }
    }
    // Memory a burst needed and a recovered connection no longer does: backlogs (hysteresis in
    // Backlog::trim_if_idle), then the plan's idle chunks.
    for (Conn* c : conns_) backlog_trimmed_bytes_ += c->session().pipeline().trim_idle();
    plan_->trim_idle();
    if (shutting_down_ && Conn::Clock::now() > shutdown_deadline_) {
      for (size_t i = conns_.size(); i-- > 0;) conns_[i]->abort();
      poller_.stop();
    }
  }

  [[gnu::noinline]] void close_idle(Conn* c, typename Conn::Clock::duration quiet) {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    char why[core::kMaxCloseReason];
    const auto r = fmt::format_to_n(why, sizeof why, "idle {} ms > idle_timeout {} ms",
                                    duration_cast<milliseconds>(quiet).count(), options_.idle_timeout.count());
    c->close(core::CloseCode::GoingAway, {why, r.size < sizeof why ? r.size : sizeof why});
  }

  void begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    shutdown_deadline_ = Conn::Clock::now() + options_.shutdown_grace;
    if constexpr (kUring) {
      poller_.uring()->stop_accepting(accepting_);
    } else {
      poller_.unwatch(listen_fd_);
    }
    ::close(listen_fd_);
    listen_fd_ = -1;
    for (size_t i = conns_.size(); i-- > 0;) conns_[i]->close(core::CloseCode::GoingAway, "server shutting down");
    if (conns_.empty()) poller_.stop();
  }

  void free_graveyard() {
    for (Conn* c : graveyard_) destroy(c);
    graveyard_.clear();
  }

  void destroy(Conn* c) noexcept {
    if (conn_pool_) {
      conn_pool_->destroy(c);
    } else {
      delete c;
    }
  }

  const ServerOptions& options_;
  net::Poller poller_{poller_options(options_)};
  net::UringBackend::Ref accepting_ = 0;  // uring: the listener's multishot accept
  std::unique_ptr<Plan> plan_;
  std::unique_ptr<memory::ObjectPool<Conn>> conn_pool_;  // null: connections from new/delete
  App app_;
  Listener listener_;
  StatsSource stats_;
  std::vector<Conn*> conns_;
  std::vector<Conn*> graveyard_;
  int listen_fd_;
  int spare_fd_ = -1;
  unsigned index_;
  ConnectionBudget& budget_;
  uint64_t accepted_ = 0, closed_ = 0, refused_ = 0;
  uint64_t admit_failures_ = 0;  // accepted, then refused: setting the connection up threw
  uint64_t accept_errors_ = 0;   // accept4 failures that paused the listener
  uint64_t received_bytes_ = 0;
  uint64_t backlog_trimmed_bytes_ = 0;  // capacity idle backlogs gave back (Backlog::trim_if_idle)
  uint64_t sweeps_ = 0;                 // timer sweeps run: tests wait for the first (it sizes a queue)
  // How long the listener rests after an accept error that would otherwise repeat at once.
  static constexpr std::chrono::milliseconds kAcceptBackoff{100};
  bool listener_paused_ = false;
  RateLimitedLog log_;
  bool shutting_down_ = false;
  typename Conn::Clock::time_point shutdown_deadline_{};
};

}  // namespace wsalloc::variants
