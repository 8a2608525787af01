#pragma once
// UringRing: one io_uring instance as the io_uring backend uses it (the OS seam of that backend,
// as epoll_backend.hpp is of the other). Only this file, uring_ring.cpp, provided_buffers.cpp and
// io_backend.cpp include liburing.
//
// Set-up flags, and why:
//   SINGLE_ISSUER   one poller thread submits: the kernel skips its submission locking
//   DEFER_TASKRUN   completions (a multishot receive's data, a send finished after waiting for
//                   room) run as task work only when this thread asks for events, i.e. in batches
//                   inside the one io_uring_enter per loop iteration, never as an interrupt of the
//                   thread while it parses. Needs SINGLE_ISSUER; kernel 6.1.
//   R_DISABLED      the Poller is built on one thread (wsalloc-server's main thread) and run on
//                   another; SINGLE_ISSUER binds the ring to the thread that enables it, so it is
//                   enabled by the first wait(), on the thread that runs the loop.
//   SUBMIT_ALL      one bad SQE does not stop the ones behind it
//   CQSIZE          completions of 1,000 connections' receives and sends fit one batch
// No SQPOLL: a kernel thread spinning on the submission queue would take one of two cores.
//
// Threads: everything on the thread that called enable_here() (before that, on any one thread).
#include <pthread.h>

#include <cstddef>
#include <cstdint>

struct io_uring;
struct io_uring_sqe;

namespace wsalloc::net {

// Newer than Debian's liburing 2.3 headers; values from the kernel's uapi io_uring.h.
inline constexpr uint16_t kPbufRingIncremental = 2;         // IOU_PBUF_RING_INC (6.12)
inline constexpr uint32_t kCqeBufferMore = 1u << 4;         // IORING_CQE_F_BUF_MORE (6.12)
inline constexpr uint32_t kFeatRecvSendBundle = 1u << 14;   // IORING_FEAT_RECVSEND_BUNDLE (6.10)

// Flags every wsalloc ring is set up with (probe_uring() uses the same ones).
uint32_t uring_setup_flags() noexcept;

struct UringRingOptions {
  unsigned sq_entries = 4096;   // a send and a re-arm for 1,000+ connections per iteration; a full SQ is submitted early
  unsigned cq_entries = 16384;  // 16 B each: 256 KiB; the kernel holds overflow (FEAT_NODROP)
};

// One completion, copied out of the CQ ring so the ring slot can be reused at once.
struct Completion {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;
};

class UringRing {
 public:
  // Throws std::system_error naming io_uring_setup and the flags.
  explicit UringRing(UringRingOptions o = {});
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // Binds the ring to the calling thread (SINGLE_ISSUER) and registers its fd with that thread,
  // so io_uring_enter skips the fd lookup. Throws std::system_error naming the register call.
  void enable_here();
  bool enabled() const noexcept { return enabled_; }
  // The thread that enabled the ring: the only one that may submit or wait (SINGLE_ISSUER and
  // DEFER_TASKRUN refuse others with EEXIST).
  bool on_owner_thread() const noexcept;

  // A zeroed SQE. A full SQ is submitted first; before enable_here() that is impossible and
  // throws std::length_error (more than sq_entries operations queued before the loop started).
  io_uring_sqe* sqe();

  // Submits what is queued; then waits up to timeout_ms for at least one completion (-1 =
  // forever, 0 = do not wait but still run the deferred task work that produces completions).
  // EINTR and ETIME are normal; anything else aborts naming the call.
  void submit_and_wait(int timeout_ms) noexcept;
  // Copies up to `max` completions into `out` and frees their CQ slots. Returns the count.
  size_t take(Completion* out, size_t max) noexcept;

  io_uring& raw() noexcept { return *ring_; }
  int fd() const noexcept;
  uint32_t features() const noexcept { return features_; }
  uint64_t enters() const noexcept { return enters_; }  // io_uring_enter calls made (system calls)

 private:
  void submit_now();

  io_uring* ring_;  // heap: keeps liburing.h out of this header
  uint32_t features_ = 0;
  bool enabled_ = false;
  pthread_t owner_{};
  uint64_t enters_ = 0;
};

}  // namespace wsalloc::net
