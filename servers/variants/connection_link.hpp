#pragma once
// connection_link.hpp: what a connection is to the rest of the server, whatever its transport:
// its link state, and the commands the worker and the application give it from outside its own
// read event (close, deliver, send_later, abort). One home for both transports: Connection
// (connection.hpp, epoll) and UringConnection (uring_connection.hpp) derive from it.
//
// Lifecycle: Live -> (the session is done, or close()) Flushing -> (all written) shutdown(SHUT_WR)
// -> Draining (read and discard until the peer's FIN or close_linger) -> Dead (abort(): in the
// worker's graveyard, freed at the end of the loop iteration; STYLE: free late).
//
// Derived provides (it befriends ConnectionLink<Derived>):
//   session()                    its Session (public: the worker's sweep reads it too)
//   worker_                      its Worker, for bury()
//   unsent_bytes()               bytes the peer has not taken yet, queued anywhere on our side
//   update_interest()            follow the link state and backpressure (epoll interest bits, or
//                                whether the uring receive runs); may close a slow consumer
//   release_transport(reset)     stop I/O and give the descriptor up (abort()'s transport part)
// Cost: every command is O(1) plus what the pipeline's send/send_now/flush cost (pipeline.hpp).
#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/close.hpp"
#include "core/frame.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

enum class LinkState : uint8_t {
  Live,      // reading and writing
  Flushing,  // the session is done; writing what is queued
  Draining,  // our side is shut; reading until the peer closes
  Dead,      // closed; waiting in the graveyard
};

template <class Derived>
class ConnectionLink {
 public:
  using Clock = std::chrono::steady_clock;

  int fd() const noexcept { return fd_; }
  LinkState link() const noexcept { return link_; }
  Clock::time_point opened() const noexcept { return opened_; }
  Clock::time_point since() const noexcept { return since_; }
  size_t& index() noexcept { return index_; }  // position in the worker's connection table

  // Server-initiated close: shutdown (1001), timeouts (1008/1001), slow consumers (1008). Flushes
  // what it can now. A connection still in its handshake has no WebSocket to close: aborted.
  void close(core::CloseCode code, std::string_view reason) {
    if (link_ != LinkState::Live) return;
    if (self().session().phase() == SessionPhase::Handshaking) return abort();
    self().session().close(code, reason);
    begin_flushing();
    if (link_ != LinkState::Dead) self().update_interest();
  }

  // Fan-out: an already-framed message from another connection (broadcast), written now; only
  // what the socket does not take is copied, into this connection's backlog.
  void deliver(std::span<const iovec> frame) {
    if (link_ != LinkState::Live || self().session().phase() != SessionPhase::Open) return;
    if (self().session().pipeline().send_now(frame) == WriteOutcome::Failed) return abort();
    self().update_interest();
  }

  // A reply produced outside this connection's event (an executor's completion).
  void send_later(core::Opcode op, std::span<const uint8_t> payload) {
    if (link_ != LinkState::Live || self().session().phase() != SessionPhase::Open) return;
    self().session().pipeline().send(op, payload);
    if (self().session().flush() == WriteOutcome::Failed) return abort();
    self().update_interest();
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
    self().release_transport(reset);
    self().worker_.bury(&self());
  }

 protected:
  explicit ConnectionLink(int fd) noexcept : fd_(fd), opened_(Clock::now()), since_(opened_) {}
  ~ConnectionLink() = default;

  void begin_flushing() {
    link_ = LinkState::Flushing;
    if (self().session().flush() == WriteOutcome::Failed) return abort();
    if (self().unsent_bytes() == 0) shut_write();
  }

  void shut_write() {
    // Our close frame (or HTTP error) is out. Half-close and wait for the peer's FIN, so unread
    // request bytes do not turn our last frame into a reset (RFC 6455 7.1.1: the server closes TCP
    // first, but cleanly). Every byte was taken by the kernel (on uring: no send in flight).
    ::shutdown(fd_, SHUT_WR);
    link_ = LinkState::Draining;
    since_ = Clock::now();
  }

  int fd_;
  LinkState link_ = LinkState::Live;
  Clock::time_point opened_;  // accepted: the handshake deadline counts from here, not from the
                              // last byte, or one byte a second (slowloris) would hold it forever
  Clock::time_point since_;   // last activity: idle and linger timeouts
  size_t index_ = 0;

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace wsalloc::variants
