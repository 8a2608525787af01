#pragma once
// StreamHandler, AcceptHandler: what the io_uring backend calls when a connection's or a
// listener's operations complete (the completion-side twin of io_handler.hpp).
//
// The backend stores raw pointers; a handler must outlive its stream (close_stream() before
// destroying it) or listener (stop_accepting()). Every call runs on the poller thread, from the
// loop's dispatch, never from inside a backend call the handler made.
#include <cstdint>
#include <span>

namespace wsalloc::net {

class StreamHandler {
 public:
  // Bytes received, in order. Writable (the frame parser unmasks in place); valid until this
  // returns, except that a send() made during the call may keep them (the backend pins them),
  // and so may UringBackend::hold(). more_queued: the socket already holds more bytes (the
  // receive stopped at a buffer's end, not at the end of what the peer sent), so the next call
  // follows at once.
  virtual void on_received(std::span<uint8_t> bytes, bool more_queued) = 0;
  // The send in flight has been taken by the kernel entirely: send() accepts bytes again.
  virtual void on_sent() = 0;
  // The peer's FIN: a receive returned 0, or (while receiving is paused with watch_shut) the
  // socket reported RDHUP/HUP.
  virtual void on_peer_shut() = 0;
  // A receive or send failed (err = errno value: ECONNRESET, EPIPE, ...). The stream is unusable.
  virtual void on_failed(int err) = 0;
  // Where the next receive should land: empty = in the thread's provided buffers (multishot);
  // otherwise exactly this memory, filled entirely before the completion (MSG_WAITALL). Asked
  // each time the backend arms a receive, and after receive_target_changed().
  virtual std::span<uint8_t> receive_target() = 0;

 protected:
  ~StreamHandler() = default;  // not deletable through the interface: the backend never owns it
};

class AcceptHandler {
 public:
  // A new connection: a plain (blocking, close-on-exec) descriptor the handler now owns.
  virtual void on_accepted(int fd) = 0;
  // accept failed (err = errno value, e.g. EMFILE). The backend keeps accepting.
  virtual void on_accept_failed(int err) = 0;

 protected:
  ~AcceptHandler() = default;
};

}  // namespace wsalloc::net
