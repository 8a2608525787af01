#pragma once
// connection.hpp: a Session on a socket. Reads into the loop's receive buffer, hands the bytes to
// the session, writes what it produced with one writev, and turns the session's Next and the
// socket's state into epoll interest, backpressure and a graceful close.
//
// Lifecycle and the commands from outside the connection's own event (close, deliver,
// send_later, abort): connection_link.hpp, shared with the io_uring transport.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>

#include "core/close.hpp"
#include "net/io_handler.hpp"
#include "net/poller.hpp"
#include "variants/connection_link.hpp"
#include "variants/server_options.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

template <class Worker>
class Connection final : public ConnectionLink<Connection<Worker>>, public net::IoHandler, public Writer {
  using Link = ConnectionLink<Connection<Worker>>;
  friend Link;

 public:
  using typename Link::Clock;
  using Link::abort;
  using Link::close;
  using SessionT = typename Worker::SessionT;

  Connection(Worker& worker, int fd)
      : Link(fd), worker_(worker), session_(worker.plan(), *this, worker.app(), worker.options().limits,
                                            worker.stats_source()) {
    session_.app_state().owner = this;
  }

  SessionT& session() noexcept { return session_; }

  // Called by the worker's timer sweep: true when replies have been queued for `limit` without
  // the peer taking a byte. Progress is a byte counter bumped by write(), so the hot path pays
  // one add, not a clock read.
  bool send_stalled(Clock::time_point now, Clock::duration limit) noexcept {
    if (session_.unsent_bytes() == 0 || written_ != written_at_check_) {
      written_at_check_ = written_;
      stalled_since_ = now;
      return false;
    }
    return now - stalled_since_ > limit;
  }

  void on_io(uint32_t events) override {
    // Paused (backpressure) and the peer sent its FIN: the bytes still unread ahead of it would
    // only queue more replies nobody reads (a FIN with no close frame ends the connection).
    if (!reading_ && link_ == LinkState::Live && (events & net::kHangup)) return abort();
    if (events & (net::kReadable | net::kHangup | net::kError)) {
      if (!on_readable()) return;
    }
    if (link_ != LinkState::Dead && (events & net::kWritable)) on_writable();
    if (link_ != LinkState::Dead) update_interest();
  }

  // Writer: the socket.
  ssize_t write(const iovec* iov, int count) noexcept override {
    for (;;) {
      ssize_t n = ::writev(fd_, iov, count);
      if (n >= 0) {
        written_ += static_cast<uint64_t>(n);
        return n;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
  }

 private:
  // Returns false when the connection died.
  bool on_readable() {
    std::span<uint8_t> buf = worker_.poller().recv_buffer();
    ssize_t n;
    do {
      n = ::recv(fd_, buf.data(), buf.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      abort();
      return false;
    }
    if (n == 0) {  // the peer's FIN: nothing more will come, and nobody may be reading our replies
      abort();
      return false;
    }
    worker_.count_received(static_cast<size_t>(n));
    if (link_ == LinkState::Draining) return true;  // discard: the close handshake is done
    since_ = Clock::now();
    Next next = session_.on_bytes(buf.first(static_cast<size_t>(n)));
    WriteOutcome out = session_.flush();
    if (out == WriteOutcome::Failed) {
      abort();
      return false;
    }
    if (next == Next::Close && link_ == LinkState::Live) begin_flushing();
    return link_ != LinkState::Dead;
  }

  void on_writable() {
    if (session_.flush() == WriteOutcome::Failed) return abort();
    if (link_ == LinkState::Flushing && session_.unsent_bytes() == 0) shut_write();
  }

  // ---- for ConnectionLink ----
  size_t unsent_bytes() const noexcept { return session_.unsent_bytes(); }
  void release_transport(bool) {
    worker_.poller().unwatch(fd_);
    ::close(fd_);
  }

  [[gnu::noinline]] void close_slow_consumer(size_t unsent) {
    char why[core::kMaxCloseReason];
    const auto r = fmt::format_to_n(why, sizeof why, "slow consumer: unsent {} B > max_backlog {}", unsent,
                                    worker_.options().max_backlog);
    close(core::CloseCode::PolicyViolation, {why, r.size < sizeof why ? r.size : sizeof why});
  }

  void update_interest() {
    uint32_t want = 0;
    const size_t unsent = session_.unsent_bytes();
    switch (link_) {
      case LinkState::Live:
        if (unsent > worker_.options().max_backlog) [[unlikely]] return close_slow_consumer(unsent);
        // Backpressure with hysteresis: stop reading above high water, resume below low water.
        if (reading_ && unsent > worker_.options().high_water) reading_ = false;
        if (!reading_ && unsent < worker_.options().low_water) reading_ = true;
        want = (reading_ ? uint32_t{net::kReadable} : uint32_t{net::kPeerShut}) |
               (unsent ? uint32_t{net::kWritable} : 0u);
        break;
      case LinkState::Flushing: want = net::kWritable; break;
      case LinkState::Draining: want = net::kReadable; break;
      case LinkState::Dead: return;
    }
    if (want != interest_) {
      worker_.poller().rewatch(fd_, this, want);
      interest_ = want;
    }
  }

  using Link::fd_;
  using Link::link_;
  using Link::since_;
  using Link::begin_flushing;
  using Link::shut_write;

  Worker& worker_;
  SessionT session_;
  uint64_t written_ = 0;            // bytes the socket took, ever
  uint64_t written_at_check_ = 0;   // written_ at the last send_stalled() that saw progress
  Clock::time_point stalled_since_{};
  uint32_t interest_ = net::kReadable;
  bool reading_ = true;
};

}  // namespace wsalloc::variants
