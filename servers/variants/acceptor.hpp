#pragma once
// acceptor.hpp: one worker's listener: accepting connections, refusing them with a 503 when the
// server is full, and resting the listener when accept fails in a way that would repeat at once.
//
// Owner: the Worker, which gets every accepted descriptor through Owner::adopt(fd) and may hand one
// back to refuse(). Both backends: epoll (readiness, accept4 in a bounded loop) and io_uring (a
// multishot accept; the backend re-arms it). Cost: per connection one accept4 (epoll) or one
// completion (uring); nothing allocated after start(). Threads: the worker's poller thread only.
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>

#include "net/io_handler.hpp"
#include "net/poller.hpp"
#include "net/uring_backend.hpp"
#include "variants/rate_limited_log.hpp"

namespace wsalloc::variants {

template <class Owner, bool kUring>
class Acceptor final : public net::IoHandler, public net::AcceptHandler {
 public:
  // How long the listener rests after an accept error that would otherwise repeat at once.
  static constexpr std::chrono::milliseconds kBackoff{100};

  // Takes `listen_fd` (closed by stop() or the destructor). `index`: the worker's, for the log.
  Acceptor(Owner& owner, net::Poller& poller, int listen_fd, unsigned index, RateLimitedLog& log)
      : owner_(owner), poller_(poller), listen_fd_(listen_fd), index_(index), log_(log),
        spare_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}
  ~Acceptor() {
    if (listen_fd_ >= 0) ::close(listen_fd_);
    if (spare_fd_ >= 0) ::close(spare_fd_);
  }
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  void start() { listen(); }

  // Shutdown: no more connections; the listening socket is closed.
  void stop() {
    if constexpr (kUring) {
      poller_.uring()->stop_accepting(accepting_);
    } else {
      poller_.unwatch(listen_fd_);
    }
    ::close(listen_fd_);
    listen_fd_ = -1;
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

  uint64_t refused() const noexcept { return refused_; }
  uint64_t accept_errors() const noexcept { return accept_errors_; }

  // ---- net::IoHandler (epoll), net::AcceptHandler (uring) ----
  void on_io(uint32_t) override { accept_ready(); }
  void on_accepted(int fd) override { owner_.adopt(fd); }
  void on_accept_failed(int err) override { accept_ended(err); }

 private:
  void listen() {
    if constexpr (kUring) {
      accepting_ = poller_.uring()->accept(listen_fd_, this);
    } else {
      poller_.watch(listen_fd_, this, net::kReadable);
    }
  }

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
      owner_.adopt(fd);
    }
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
               index_, listen_fd_, std::strerror(err), err, kBackoff.count());
    if (paused_) return;
    try {
      if constexpr (kUring) {
        poller_.uring()->stop_accepting(accepting_);
      } else {
        poller_.rewatch(listen_fd_, this, 0);
      }
      poller_.after(kBackoff, [this] { resume(); });
      paused_ = true;
    } catch (const std::exception& e) {
      log_.write("wsalloc-server: worker {}: cannot pause the listener: {}", index_, e.what());
    }
  }

  void resume() {
    if (!paused_ || listen_fd_ < 0) return;  // shutting down: the listener is gone
    if constexpr (kUring) {
      accepting_ = poller_.uring()->accept(listen_fd_, this);
    } else {
      poller_.rewatch(listen_fd_, this, net::kReadable);
    }
    paused_ = false;
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

  Owner& owner_;
  net::Poller& poller_;
  int listen_fd_;
  unsigned index_;
  RateLimitedLog& log_;
  int spare_fd_;
  net::UringBackend::Ref accepting_ = 0;  // uring: the listener's multishot accept
  bool paused_ = false;
  uint64_t refused_ = 0;
  uint64_t accept_errors_ = 0;  // accept4 failures that paused the listener
};

}  // namespace wsalloc::variants
