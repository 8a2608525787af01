#pragma once
// connection.hpp: a Session on a socket. Reads into the loop's receive buffer, hands the bytes to
// the session, writes what it produced with one writev, and turns the session's Next and the
// socket's state into epoll interest, backpressure and a graceful close.
//
// Lifecycle: Handshaking/Open -> (Next::Close) Flushing -> (all written) shutdown(SHUT_WR) ->
// Draining (read and discard until the peer's FIN or close_linger) -> closed. A connection is
// never freed inside its own callback: the worker moves it to a graveyard freed at the end of the
// loop iteration (STYLE: free late).
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
#include "variants/server_options.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

enum class LinkState : uint8_t {
  Live,      // reading and writing
  Flushing,  // the session is done; writing what is queued
  Draining,  // our side is shut; reading until the peer closes
  Dead,      // closed; waiting in the graveyard
};

template <class Worker>
class Connection final : public net::IoHandler, public Writer {
 public:
  using Clock = std::chrono::steady_clock;
  using SessionT = typename Worker::SessionT;

  Connection(Worker& worker, int fd)
      : worker_(worker), fd_(fd), session_(worker.plan(), *this, worker.app(), worker.options().limits,
                                           worker.stats_source()),
        opened_(Clock::now()), since_(opened_) {
    session_.app_state().owner = this;
  }

  int fd() const noexcept { return fd_; }
  LinkState link() const noexcept { return link_; }
  SessionT& session() noexcept { return session_; }
  Clock::time_point opened() const noexcept { return opened_; }
  Clock::time_point since() const noexcept { return since_; }

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
  size_t& index() noexcept { return index_; }

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

  // Server-initiated close: shutdown (1001), timeouts (1008/1001). Flushes what it can now.
  void close(core::CloseCode code, std::string_view reason) {
    if (link_ != LinkState::Live) return;
    if (session_.phase() == SessionPhase::Handshaking) return abort();
    session_.close(code, reason);
    begin_flushing();
    if (link_ != LinkState::Dead) update_interest();
  }

  // Fan-out: an already-framed message from another connection (broadcast), written now; only
  // what the socket does not take is copied, into this connection's backlog.
  void deliver(std::span<const iovec> frame) {
    if (link_ != LinkState::Live || session_.phase() != SessionPhase::Open) return;
    if (session_.pipeline().send_now(frame) == WriteOutcome::Failed) return abort();
    update_interest();
  }

  // A reply produced outside this connection's event (an executor's completion).
  void send_later(core::Opcode op, std::span<const uint8_t> payload) {
    if (link_ != LinkState::Live || session_.phase() != SessionPhase::Open) return;
    session_.pipeline().send(op, payload);
    if (session_.flush() == WriteOutcome::Failed) return abort();
    update_interest();
  }

  // Hard close: no more bytes either way. `reset`: also drop what the kernel still holds for the
  // peer (SO_LINGER 0 sends a RST). Used when a peer stopped reading: without it the orphaned
  // socket keeps the kernel's send buffer (up to tcp_wmem's 4 MiB) until the peer drains it.
  void abort(bool reset = false) {
    if (link_ == LinkState::Dead) return;
    if (reset) {
      const linger hard{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    link_ = LinkState::Dead;
    worker_.poller().unwatch(fd_);
    ::close(fd_);
    worker_.bury(this);
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

  void begin_flushing() {
    link_ = LinkState::Flushing;
    if (session_.flush() == WriteOutcome::Failed) return abort();
    if (session_.unsent_bytes() == 0) shut_write();
  }

  void shut_write() {
    // Our close frame (or HTTP error) is out. Half-close and wait for the peer's FIN, so unread
    // request bytes do not turn our last frame into a reset (RFC 6455 7.1.1: the server closes TCP
    // first, but cleanly).
    ::shutdown(fd_, SHUT_WR);
    link_ = LinkState::Draining;
    since_ = Clock::now();
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

  Worker& worker_;
  int fd_;
  SessionT session_;
  Clock::time_point opened_;  // accepted: the handshake deadline counts from here, not from the
                              // last byte, or one byte a second (slowloris) would hold it forever
  Clock::time_point since_;   // last activity: idle and linger timeouts
  uint64_t written_ = 0;            // bytes the socket took, ever
  uint64_t written_at_check_ = 0;   // written_ at the last send_stalled() that saw progress
  Clock::time_point stalled_since_{};
  size_t index_ = 0;          // position in the worker's connection table
  uint32_t interest_ = net::kReadable;
  LinkState link_ = LinkState::Live;
  bool reading_ = true;
};

}  // namespace wsalloc::variants
