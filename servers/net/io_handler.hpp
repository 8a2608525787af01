#pragma once
// IoHandler: what the Poller calls when a watched fd is ready.
//
// The Poller stores a raw pointer per fd; the handler must outlive its registration (unwatch
// before destroying it). on_io runs on the poller thread.

#include <cstdint>

namespace wsalloc::net {

// Event bits, used both as interest (kReadable|kWritable) and as the `events` argument of
// on_io. kHangup and kError are always reported, whatever the interest (epoll semantics).
enum IoEvent : uint32_t {
  kReadable = 1,  // data or EOF to read (a read returning 0 is how a peer's FIN shows up)
  kWritable = 2,  // send buffer has room
  kHangup = 4,    // EPOLLHUP: both directions are shut; reading drains what is left
  kError = 8,     // EPOLLERR: fetch it with getsockopt(SO_ERROR) or the next read/write
  // Interest only: report the peer's FIN (as kHangup) while not reading. For a connection that
  // paused reading (backpressure), whose FIN would otherwise wait behind unread bytes forever.
  kPeerShut = 16,
};

struct IoHandler {
  virtual void on_io(uint32_t events) = 0;

 protected:
  // Not deletable through IoHandler*: the Poller never owns handlers.
  ~IoHandler() = default;
};

}  // namespace wsalloc::net
