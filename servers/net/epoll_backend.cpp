#include "net/epoll_backend.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <system_error>
#include <unistd.h>

#include "net/io_handler.hpp"

namespace wsalloc::net {
namespace {

// EPOLLRDHUP only when asked (kPeerShut): with level triggering it stays asserted after a peer's
// half-close and would spin a connection that still has replies to flush; a reader sees the FIN
// as a read of 0 anyway.
uint32_t to_epoll(uint32_t interest) noexcept {
  uint32_t e = 0;
  if (interest & kReadable) e |= EPOLLIN;
  if (interest & kWritable) e |= EPOLLOUT;
  if (interest & kPeerShut) e |= EPOLLRDHUP;
  return e;
}

uint32_t from_epoll(uint32_t e) noexcept {
  uint32_t out = 0;
  if (e & (EPOLLIN | EPOLLPRI)) out |= kReadable;
  if (e & EPOLLOUT) out |= kWritable;
  if (e & (EPOLLHUP | EPOLLRDHUP)) out |= kHangup;
  if (e & EPOLLERR) out |= kError;
  return out;
}

[[noreturn]] void die(const char* call, int epfd, int fd, int err) noexcept {
  std::fprintf(stderr, "wsalloc: %s(epfd=%d, fd=%d): %s\n", call, epfd, fd, std::strerror(err));
  std::abort();
}

void ctl(int epfd, int op, int fd, uint32_t interest, uint64_t token) {
  epoll_event ev{};
  ev.events = to_epoll(interest);
  ev.data.u64 = token;
  if (::epoll_ctl(epfd, op, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(),
                            std::string("epoll_ctl(") + (op == EPOLL_CTL_ADD ? "ADD" : "MOD") +
                                ", fd=" + std::to_string(fd) + ")");
}

}  // namespace

EpollBackend::EpollBackend(size_t max_events)
    : max_events_(max_events),
      raw_(new epoll_event[max_events]),
      ready_(new Ready[max_events]) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EpollBackend::~EpollBackend() {
  if (epfd_ >= 0) ::close(epfd_);
}

void EpollBackend::watch(int fd, uint32_t interest, uint64_t token) {
  ctl(epfd_, EPOLL_CTL_ADD, fd, interest, token);
}

void EpollBackend::rewatch(int fd, uint32_t interest, uint64_t token) {
  ctl(epfd_, EPOLL_CTL_MOD, fd, interest, token);
}

void EpollBackend::unwatch(int fd) noexcept {
  // Linux < 2.6.9 wanted a non-null event even for DEL.
  epoll_event ev{};
  if (::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != EBADF && errno != ENOENT)
    die("epoll_ctl(DEL)", epfd_, fd, errno);
}

std::span<const EpollBackend::Ready> EpollBackend::wait(int timeout_ms) noexcept {
  ++waits_;
  int n = ::epoll_wait(epfd_, raw_.get(), static_cast<int>(max_events_), timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return {};
    die("epoll_wait", epfd_, -1, errno);
  }
  for (int i = 0; i < n; ++i) ready_[i] = Ready{raw_[i].data.u64, from_epoll(raw_[i].events)};
  return {ready_.get(), static_cast<size_t>(n)};
}

}  // namespace wsalloc::net
