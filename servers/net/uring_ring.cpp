#include "net/uring_ring.hpp"

#include <liburing.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace wsalloc::net {
namespace {

[[noreturn]] void die(const char* call, int ring_fd, int err) noexcept {
  std::fprintf(stderr, "wsalloc: %s(ring fd=%d): %s\n", call, ring_fd, std::strerror(err));
  std::abort();
}

}  // namespace

uint32_t uring_setup_flags() noexcept {
  return IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED |
         IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
}

UringRing::UringRing(UringRingOptions o) : ring_(new io_uring{}) {
  io_uring_params p{};
  p.flags = uring_setup_flags();
  p.cq_entries = o.cq_entries;
  int r = io_uring_queue_init_params(o.sq_entries, ring_, &p);
  if (r < 0) {
    delete ring_;
    throw std::system_error(-r, std::generic_category(),
                            "io_uring_setup(entries=" + std::to_string(o.sq_entries) + ", flags=SINGLE_ISSUER|" +
                                "DEFER_TASKRUN|R_DISABLED|SUBMIT_ALL|CQSIZE)");
  }
  features_ = p.features;
}

UringRing::~UringRing() {
  io_uring_queue_exit(ring_);
  delete ring_;
}

int UringRing::fd() const noexcept { return ring_->ring_fd; }

void UringRing::enable_here() {
  if (enabled_) return;
  if (::syscall(__NR_io_uring_register, ring_->ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) != 0)
    throw std::system_error(errno, std::generic_category(), "io_uring_register(ENABLE_RINGS)");
  enabled_ = true;
  owner_ = ::pthread_self();
  // Optional: without it every enter looks the ring fd up in the file table (a few ns).
  (void)io_uring_register_ring_fd(ring_);
}

bool UringRing::on_owner_thread() const noexcept { return enabled_ && ::pthread_equal(owner_, ::pthread_self()); }

io_uring_sqe* UringRing::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(ring_);
  if (s == nullptr) {
    if (!enabled_)
      throw std::length_error("io_uring: more than " + std::to_string(ring_->sq.ring_entries) +
                              " operations queued before the loop started");
    submit_now();
    s = io_uring_get_sqe(ring_);
    if (s == nullptr) die("io_uring_get_sqe after submit", ring_->ring_fd, EBUSY);
  }
  std::memset(s, 0, sizeof *s);
  return s;
}

void UringRing::submit_now() {
  ++enters_;
  int r = io_uring_submit(ring_);
  if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) die("io_uring_submit", ring_->ring_fd, -r);
}

void UringRing::submit_and_wait(int timeout_ms) noexcept {
  ++enters_;
  int r;
  if (timeout_ms < 0) {
    r = io_uring_submit_and_wait(ring_, 1);
  } else if (timeout_ms == 0) {
    r = io_uring_submit_and_get_events(ring_);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1'000'000;
    io_uring_cqe* cqe = nullptr;
    r = io_uring_submit_and_wait_timeout(ring_, &cqe, 1, &ts, nullptr);
  }
  // ETIME: the timeout passed; EINTR: a signal; EBUSY/EAGAIN: the CQ is backed up, which the
  // caller is about to drain.
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
    die("io_uring_enter", ring_->ring_fd, -r);
}

size_t UringRing::take(Completion* out, size_t max) noexcept {
  size_t n = 0;
  unsigned head;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(ring_, head, cqe) {
    if (n == max) break;
    out[n++] = Completion{cqe->user_data, cqe->res, cqe->flags};
  }
  io_uring_cq_advance(ring_, static_cast<unsigned>(n));
  return n;
}

}  // namespace wsalloc::net
