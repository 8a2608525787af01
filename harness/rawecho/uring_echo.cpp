#include "uring_echo.hpp"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <deque>
#include <vector>

namespace {

// Newer than Debian's liburing 2.3 headers (kernel uapi values).
constexpr uint16_t kPbufRingIncremental = 2;  // IOU_PBUF_RING_INC (6.12)
constexpr uint32_t kCqeBufferMore = 1u << 4;  // IORING_CQE_F_BUF_MORE

enum Op : uint8_t { kAccept = 1, kRecv, kSend, kSignal, kCancel };
// Receives waiting behind a connection's send in flight before its receiving pauses (a few more
// may land while the pause takes effect), and regions per send (IOV_MAX is 1024).
constexpr size_t kPauseAt = 64;
constexpr size_t kMaxIov = 1024;

[[noreturn]] void die(const char* op, int err) {
  std::fprintf(stderr, "wsalloc-rawecho: %s: %s\n", op, std::strerror(err));
  std::exit(1);
}

// The provided-buffer ring: a buffer goes back to the kernel when the kernel is done filling it
// and no send references it any more.
class Buffers {
 public:
  Buffers(io_uring& ring) {
    ring_mem_ = static_cast<io_uring_buf_ring*>(map(4096 * 2));
    incremental_ = reg(ring, kPbufRingIncremental) == 0;
    count_ = incremental_ ? 8 : 128;
    bytes_ = incremental_ ? 256u << 10 : 16u << 10;
    if (!incremental_ && reg(ring, 0) != 0) die("io_uring_register(PBUF_RING)", errno);
    arena_ = static_cast<uint8_t*>(map(size_t{count_} * bytes_));
    state_.resize(count_);
    io_uring_buf_ring_init(ring_mem_);
    for (uint32_t i = 0; i < count_; ++i) add(static_cast<uint16_t>(i));
  }
  bool empty() const { return in_ring_ == 0; }
  // The bytes of one receive completion.
  uint8_t* take(uint16_t bid, uint32_t len, bool kernel_keeps) {
    State& s = state_[bid];
    uint8_t* p = arena_ + size_t{bid} * bytes_ + (incremental_ ? s.used : 0);
    s.used += len;
    if (!incremental_ || !kernel_keeps) {
      s.out = true;
      --in_ring_;
    }
    ++s.refs;  // the echo of these bytes, until its send completes
    return p;
  }
  void release(uint16_t bid) {
    State& s = state_[bid];
    if (--s.refs == 0 && s.out) add(bid);
  }

 private:
  struct State {
    uint32_t used = 0, refs = 0;
    bool out = false;
  };
  static void* map(size_t n) {
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) die("mmap", errno);
    return p;
  }
  int reg(io_uring& ring, uint16_t flags) {
    io_uring_buf_reg r{};
    r.ring_addr = reinterpret_cast<uint64_t>(ring_mem_);
    r.ring_entries = flags ? 8 : 128;
    r.bgid = 0;
    r.pad = flags;
    return static_cast<int>(::syscall(__NR_io_uring_register, ring.ring_fd, IORING_REGISTER_PBUF_RING, &r, 1));
  }
  void add(uint16_t bid) {
    state_[bid] = State{};
    ++in_ring_;
    io_uring_buf_ring_add(ring_mem_, arena_ + size_t{bid} * bytes_, bytes_, bid, io_uring_buf_ring_mask(count_), 0);
    io_uring_buf_ring_advance(ring_mem_, 1);
  }
  io_uring_buf_ring* ring_mem_;
  bool incremental_;
  uint32_t count_, bytes_;
  uint8_t* arena_;
  std::vector<State> state_;
  uint32_t in_ring_ = 0;
};

struct Region {
  uint8_t* data;
  size_t len;
  uint16_t bid;
};

// Vectors keep their capacity: a connection allocates only while its queue reaches a new peak.
struct Conn {
  int fd = -1;
  uint16_t gen = 1;
  bool live = false, recv_armed = false, sending = false, closing = false, starved = false;
  std::vector<Region> flight;  // referenced by the send in flight; [first, size) not yet sent
  size_t first = 0;
  std::vector<Region> queued;  // arrived while a send was in flight
  std::vector<iovec> iov;
  msghdr msg{};
};

class UringEcho {
 public:
  UringEcho(io_uring& ring, int listen_fd, int signal_fd)
      : ring_(ring), buffers_(ring), listen_fd_(listen_fd), signal_fd_(signal_fd) {
    conns_.resize(64);
    arm_accept();
    io_uring_sqe* s = sqe();
    io_uring_prep_poll_add(s, signal_fd_, POLLIN);
    s->user_data = ud(kSignal, 0, 0);
  }

  void run() {
    while (!stopping_ || open_ > 0) {
      ++enters_;
      int r = io_uring_submit_and_wait(&ring_, 1);
      if (r < 0 && r != -EINTR && r != -ETIME) die("io_uring_enter", -r);
      unsigned head, n = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++n;
        batch_.push_back({cqe->user_data, cqe->res, cqe->flags});
      }
      io_uring_cq_advance(&ring_, n);
      for (const Cqe& c : batch_) dispatch(c);
      batch_.clear();
      if (!starved_.empty() && !buffers_.empty()) {
        std::vector<uint32_t> again;
        again.swap(starved_);
        for (uint32_t i : again) {
          conns_[i].starved = false;
          arm_recv(i);
        }
      }
    }
    // The cost anatomy (system calls per message) for whoever reads stderr.
    std::fprintf(stderr, "wsalloc-rawecho: io_uring_enter calls %llu\n", static_cast<unsigned long long>(enters_));
  }

 private:
  struct Cqe {
    uint64_t user_data;
    int32_t res;
    uint32_t flags;
  };
  static uint64_t ud(Op op, uint32_t i, uint16_t gen) { return (uint64_t{op} << 56) | (uint64_t{gen} << 32) | i; }
  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s == nullptr) {
      ++enters_;
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
      if (s == nullptr) die("io_uring_get_sqe", EBUSY);
    }
    return s;
  }
  void arm_accept() {
    io_uring_sqe* s = sqe();
    io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    s->user_data = ud(kAccept, 0, 0);
  }
  void arm_recv(uint32_t i) {
    Conn& c = conns_[i];
    if (!c.live || c.closing || c.recv_armed || c.queued.size() >= kPauseAt) return;
    if (buffers_.empty()) {
      if (!c.starved) starved_.push_back(i);
      c.starved = true;
      return;
    }
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, c.fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = 0;
    s->user_data = ud(kRecv, i, c.gen);
    c.recv_armed = true;
  }
  void cancel(Op op, uint32_t i) {
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, ud(op, i, conns_[i].gen), 0);
    s->user_data = ud(kCancel, 0, 0);
    s->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }

  void dispatch(const Cqe& c) {
    const auto op = static_cast<Op>(c.user_data >> 56);
    const auto i = static_cast<uint32_t>(c.user_data);
    switch (op) {
      case kAccept: return on_accept(c);
      case kSignal: return begin_shutdown();
      case kRecv: return on_recv(i, c);
      case kSend: return on_send(i, c);
      case kCancel: return;
    }
  }

  void on_accept(const Cqe& c) {
    if (!(c.flags & IORING_CQE_F_MORE) && !stopping_) arm_accept();
    if (c.res < 0) return;  // EMFILE and friends: the backlog keeps the connection
    if (stopping_) {
      ::close(c.res);
      return;
    }
    int one = 1;
    ::setsockopt(c.res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = static_cast<uint32_t>(next_++);
      if (i >= conns_.size()) conns_.resize(conns_.size() * 2);
    }
    Conn& k = conns_[i];
    k.fd = c.res;
    k.recv_armed = k.sending = k.closing = k.starved = false;
    k.flight.clear();
    k.queued.clear();
    k.first = 0;
    k.live = true;
    ++open_;
    arm_recv(i);
  }

  void on_recv(uint32_t i, const Cqe& c) {
    Conn& k = conns_[i];
    if (!(c.flags & IORING_CQE_F_MORE)) k.recv_armed = false;
    if (c.res > 0) {
      const auto bid = static_cast<uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
      uint8_t* p = buffers_.take(bid, static_cast<uint32_t>(c.res), (c.flags & kCqeBufferMore) != 0);
      if (k.closing) {
        buffers_.release(bid);
      } else {
        echo(i, Region{p, static_cast<size_t>(c.res), bid});
      }
    }
    if (k.recv_armed) return;
    if (c.res == 0 || (c.res < 0 && c.res != -ENOBUFS && c.res != -ECANCELED)) return close_conn(i);
    if (c.res == -ENOBUFS && !k.starved) {
      k.starved = true;
      starved_.push_back(i);
      return;
    }
    arm_recv(i);
    finish_if_closed(i);
  }

  // The per-message path: send the received bytes back from where they are.
  void echo(uint32_t i, Region r) {
    Conn& k = conns_[i];
    if (!k.sending) {
      k.flight.assign(1, r);
      k.first = 0;
      return submit_send(i);
    }
    k.queued.push_back(r);
    if (k.queued.size() == kPauseAt && k.recv_armed) cancel(kRecv, i);  // pause: pushes back through TCP
  }

  void submit_send(uint32_t i) {
    Conn& k = conns_[i];
    io_uring_sqe* s = sqe();
    const size_t n = std::min(k.flight.size() - k.first, kMaxIov);
    if (n == 1) {
      io_uring_prep_send(s, k.fd, k.flight[k.first].data, k.flight[k.first].len, MSG_NOSIGNAL);
    } else {
      k.iov.resize(n);
      for (size_t j = 0; j < n; ++j) k.iov[j] = {k.flight[k.first + j].data, k.flight[k.first + j].len};
      k.msg = msghdr{};
      k.msg.msg_iov = k.iov.data();
      k.msg.msg_iovlen = n;
      io_uring_prep_sendmsg(s, k.fd, &k.msg, MSG_NOSIGNAL);
    }
    s->user_data = ud(kSend, i, k.gen);
    k.sending = true;
  }

  void on_send(uint32_t i, const Cqe& c) {
    Conn& k = conns_[i];
    k.sending = false;
    if (c.res <= 0) {
      release_flight(k);
      if (!k.closing) return close_conn(i);
      return finish_if_closed(i);
    }
    auto n = static_cast<size_t>(c.res);
    while (n > 0) {  // done regions go back to the kernel; a short send resumes mid-region
      Region& r = k.flight[k.first];
      if (n >= r.len) {
        n -= r.len;
        buffers_.release(r.bid);
        ++k.first;
      } else {
        r.data += n;
        r.len -= n;
        n = 0;
      }
    }
    if (k.closing) {
      release_flight(k);
      return finish_if_closed(i);
    }
    if (k.first < k.flight.size()) return submit_send(i);
    k.flight.clear();
    k.first = 0;
    if (!k.queued.empty()) {
      k.flight.swap(k.queued);  // both keep their capacity
      submit_send(i);
    }
    arm_recv(i);  // resumes a paused connection
  }

  void release_flight(Conn& k) {
    for (size_t j = k.first; j < k.flight.size(); ++j) buffers_.release(k.flight[j].bid);
    k.flight.clear();
    k.first = 0;
  }

  void close_conn(uint32_t i) {
    Conn& k = conns_[i];
    if (k.closing) return;
    k.closing = true;
    if (k.recv_armed) cancel(kRecv, i);
    if (k.sending) cancel(kSend, i);
    for (const Region& r : k.queued) buffers_.release(r.bid);
    k.queued.clear();
    finish_if_closed(i);
  }

  // The descriptor is closed once the kernel is done with every operation on it.
  void finish_if_closed(uint32_t i) {
    Conn& k = conns_[i];
    if (!k.live || !k.closing || k.recv_armed || k.sending) return;
    ::close(k.fd);
    k.live = false;
    if (++k.gen == 0) k.gen = 1;
    free_.push_back(i);
    --open_;
  }

  void begin_shutdown() {
    stopping_ = true;
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, ud(kAccept, 0, 0), 0);
    s->user_data = ud(kCancel, 0, 0);
    for (uint32_t i = 0; i < next_; ++i)
      if (conns_[i].live) close_conn(i);
  }

  io_uring& ring_;
  Buffers buffers_;
  int listen_fd_, signal_fd_;
  std::deque<Conn> conns_;  // deque: a connection's msghdr never moves while a send is queued
  std::vector<uint32_t> free_, starved_;
  std::vector<Cqe> batch_;
  uint32_t next_ = 0;
  size_t open_ = 0;
  uint64_t enters_ = 0;
  bool stopping_ = false;
};

}  // namespace

int run_uring_echo(int listen_fd, int signal_fd, void (*ready)()) {
  io_uring ring{};
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = 16384;
  if (int r = io_uring_queue_init_params(1024, &ring, &p); r < 0) {
    std::fprintf(stderr, "wsalloc-rawecho: --io uring: io_uring is not available here: io_uring_setup: %s; use --io epoll\n",
                 std::strerror(-r));
    return 2;
  }
  UringEcho echo(ring, listen_fd, signal_fd);
  ready();
  echo.run();
  ::close(listen_fd);
  io_uring_queue_exit(&ring);
  return 0;
}
