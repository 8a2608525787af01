#pragma once
// EpollBackend: the tiny OS seam of the Poller (Redis ae_epoll.c style). Only this file and
// epoll_backend.cpp know about epoll; the loop in poller.cpp sees watch/rewatch/unwatch/wait.
//
// LEVEL-TRIGGERED on purpose: a handler that reads only part of what is queued (backpressure,
// a bounded read per event for fairness) is called again next iteration without having to
// remember it; edge-triggered would make every handler drain to EAGAIN or lose wake-ups.
// The cost is one extra epoll_ctl when a writer turns kWritable off once its queue is empty.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

struct epoll_event;

namespace wsalloc::net {

class EpollBackend {
 public:
  // One ready fd. token is what was passed to watch/rewatch (the Poller packs fd + generation);
  // events are IoEvent bits.
  struct Ready {
    uint64_t token;
    uint32_t events;
  };

  // max_events: the size of the one result array, allocated here, never again.
  // Throws std::system_error naming epoll_create1.
  explicit EpollBackend(size_t max_events = 1024);
  ~EpollBackend();
  EpollBackend(const EpollBackend&) = delete;
  EpollBackend& operator=(const EpollBackend&) = delete;

  // interest: kReadable|kWritable (0 = only hang-ups and errors). Throws std::system_error naming
  // epoll_ctl(ADD|MOD, fd=N), e.g. EEXIST for a second watch, ENOENT for rewatch of an unknown fd.
  void watch(int fd, uint32_t interest, uint64_t token);
  void rewatch(int fd, uint32_t interest, uint64_t token);
  // Tolerates an fd the kernel already dropped (closed: EBADF/ENOENT); aborts on anything else.
  void unwatch(int fd) noexcept;

  // Blocks up to timeout_ms (-1 = forever, 0 = poll). EINTR returns an empty span; any other
  // epoll_wait failure aborts naming the call and strerror. The span is valid until the next wait.
  std::span<const Ready> wait(int timeout_ms) noexcept;

  int fd() const noexcept { return epfd_; }
  size_t max_events() const noexcept { return max_events_; }
  uint64_t waits() const noexcept { return waits_; }  // epoll_wait calls made (system calls)

 private:
  int epfd_ = -1;
  size_t max_events_;
  uint64_t waits_ = 0;
  std::unique_ptr<epoll_event[]> raw_;  // what the kernel fills
  std::unique_ptr<Ready[]> ready_;      // the same, translated to IoEvent bits
};

}  // namespace wsalloc::net
