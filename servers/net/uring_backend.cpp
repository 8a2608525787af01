#include "net/uring_backend.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace wsalloc::net {
namespace {

uint32_t to_poll(uint32_t interest) noexcept {
  uint32_t m = 0;
  if (interest & kReadable) m |= POLLIN;
  if (interest & kWritable) m |= POLLOUT;
  if (interest & kPeerShut) m |= POLLRDHUP;
  return m;
}

uint32_t from_poll(uint32_t e) noexcept {
  uint32_t out = 0;
  if (e & (POLLIN | POLLPRI)) out |= kReadable;
  if (e & POLLOUT) out |= kWritable;
  if (e & (POLLHUP | POLLRDHUP)) out |= kHangup;
  if (e & POLLERR) out |= kError;
  return out;
}

// Runs `f` however the scope ends: the bookkeeping after a handler call (re-arming, giving a
// buffer back) must happen even when the handler throws, or a stream would stop receiving.
template <class F>
struct Finally {
  F f;
  ~Finally() { f(); }
};
template <class F>
Finally(F) -> Finally<F>;

}  // namespace

UringBackend::UringBackend(const UringOptions& o) : ring_(o.ring), buffers_(ring_.fd(), o.buffers) {
  watch_by_fd_.resize(1024);
  free_slots_.reserve(1024);
  pending_sends_.reserve(1024);
  starved_.reserve(1024);
  starved_scratch_.reserve(1024);
}

UringBackend::~UringBackend() {
  // Handlers may be gone already (a Worker destroys its connections first): from here on,
  // completions only give resources back.
  for (Slot& s : slots_) {
    if (s.kind == Kind::Free) continue;
    s.released = true;
    s.watcher = nullptr;
    s.acceptor = nullptr;
    s.stream = nullptr;
    if (s.send.state == SendState::Pending) release_send(s.send);
  }
  // Only the ring's own thread may submit and wait. Anywhere else (a server destroys its workers
  // on the main thread) closing the ring below cancels every request instead; the kernel does
  // not run them any more, so it writes into no buffer after that.
  if (ring_.on_owner_thread()) {
    // Everything still armed is cancelled, and its completions drained, before the buffers the
    // kernel could write into are unmapped (members are destroyed after this body).
    if (io_uring_sqe* sqe = ring_.sqe()) {
      io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
      sqe->user_data = user_data(kOpCancel, 0, 0);
    }
    for (int round = 0; round < 50; ++round) {
      bool busy = false;
      for (const Slot& s : slots_) busy |= s.kind != Kind::Free;
      if (!busy) break;
      ring_.submit_and_wait(10);
      drain();
    }
  }
  for (Slot& s : slots_)
    if (s.kind != Kind::Free && s.owns_fd && s.fd >= 0) ::close(s.fd);
}

// ---- slots ------------------------------------------------------------------------------------

UringBackend::Slot* UringBackend::lookup(Ref r) noexcept {
  const auto i = static_cast<uint32_t>(r);
  if (i >= slots_.size()) return nullptr;
  Slot& s = slots_[i];
  return s.kind != Kind::Free && s.generation == static_cast<uint16_t>(r >> 32) ? &s : nullptr;
}

const UringBackend::Slot* UringBackend::lookup(Ref r) const noexcept {
  return const_cast<UringBackend*>(this)->lookup(r);
}

uint32_t UringBackend::new_slot(Kind k, int fd) {
  uint32_t i;
  if (!free_slots_.empty()) {
    i = free_slots_.back();
    free_slots_.pop_back();
  } else {
    i = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
    // maybe_free(), send() and arm_recv() push from noexcept paths: room for every slot.
    free_slots_.reserve(slots_.size());
    pending_sends_.reserve(slots_.size());
    starved_.reserve(slots_.size());
    starved_scratch_.reserve(slots_.size());
  }
  Slot& s = slots_[i];
  const uint16_t gen = s.generation;
  const bool listed = s.send_listed;
  s = Slot{};
  s.generation = gen;
  s.send_listed = listed;
  s.kind = k;
  s.fd = fd;
  return i;
}

void UringBackend::maybe_free(uint32_t i) noexcept {
  Slot& s = slots_[i];
  if (s.kind == Kind::Free || !s.released) return;
  if (s.poll != OpState::Idle || s.accepting != OpState::Idle || s.recv != OpState::Idle ||
      s.shut_poll != OpState::Idle || s.send.state != SendState::Idle)
    return;
  if (s.loan >= 0) loans_.give_back(static_cast<uint32_t>(s.loan));
  if (s.owns_fd && s.fd >= 0) ::close(s.fd);  // the kernel has let go of it: no operation is left
  s.kind = Kind::Free;
  s.fd = -1;
  s.loan = -1;
  if (++s.generation == 0) s.generation = 1;
  free_slots_.push_back(i);
}

void UringBackend::cancel(Op op, uint32_t i) noexcept {
  // By user_data: exact, unlike cancelling by fd, whose number may already name a new socket.
  io_uring_sqe* sqe = ring_.sqe();
  io_uring_prep_cancel64(sqe, user_data(op, i, slots_[i].generation), 0);
  sqe->user_data = user_data(kOpCancel, 0, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

// ---- watchers -----------------------------------------------------------------------------------

void UringBackend::watch(int fd, IoHandler* h, uint32_t interest) {
  if (fd < 0 || h == nullptr)
    throw std::invalid_argument("Poller::watch(fd=" + std::to_string(fd) + "): needs fd >= 0 and a handler");
  if (::fcntl(fd, F_GETFD) < 0)
    throw std::system_error(errno, std::generic_category(), "Poller::watch(fd=" + std::to_string(fd) + ")");
  if (static_cast<size_t>(fd) >= watch_by_fd_.size())
    watch_by_fd_.resize(std::max(static_cast<size_t>(fd) + 1, watch_by_fd_.size() * 2));
  if (watch_by_fd_[fd] != 0)
    throw std::system_error(EEXIST, std::generic_category(),
                            "Poller::watch(fd=" + std::to_string(fd) + "): already watched");
  const uint32_t i = new_slot(Kind::Watch, fd);
  slots_[i].watcher = h;
  slots_[i].interest = interest;
  watch_by_fd_[fd] = i + 1;
  ++watched_;
  arm_poll(i);
}

void UringBackend::rewatch(int fd, IoHandler* h, uint32_t interest) {
  if (h == nullptr)
    throw std::invalid_argument("Poller::rewatch(fd=" + std::to_string(fd) + "): null handler");
  if (fd < 0 || static_cast<size_t>(fd) >= watch_by_fd_.size() || watch_by_fd_[fd] == 0)
    throw std::system_error(ENOENT, std::generic_category(),
                            "Poller::rewatch(fd=" + std::to_string(fd) + "): not watched");
  const uint32_t i = watch_by_fd_[fd] - 1;
  Slot& s = slots_[i];
  s.watcher = h;
  s.interest = interest;
  // An armed poll that lacks a newly wanted event would never fire for it: replace it (its
  // completion re-arms with the current interest). One that only has extra bits stays; its
  // events are masked by the current interest when dispatched.
  if (s.poll == OpState::Armed && (to_poll(interest) & ~to_poll(s.armed_mask)) != 0) {
    cancel(kOpPoll, i);
    s.poll = OpState::Cancelling;
  }
}

void UringBackend::unwatch(int fd) noexcept {
  if (fd < 0 || static_cast<size_t>(fd) >= watch_by_fd_.size() || watch_by_fd_[fd] == 0) return;
  const uint32_t i = watch_by_fd_[fd] - 1;
  watch_by_fd_[fd] = 0;
  --watched_;
  Slot& s = slots_[i];
  s.released = true;
  s.watcher = nullptr;
  if (s.poll == OpState::Armed) {
    cancel(kOpPoll, i);
    s.poll = OpState::Cancelling;
  }
  maybe_free(i);
}

void UringBackend::arm_poll(uint32_t i) {
  Slot& s = slots_[i];
  io_uring_sqe* sqe = ring_.sqe();
  io_uring_prep_poll_add(sqe, s.fd, to_poll(s.interest));
  sqe->user_data = user_data(kOpPoll, i, s.generation);
  s.poll = OpState::Armed;
  s.armed_mask = s.interest;
}

void UringBackend::on_poll(uint32_t i, const Completion& c) {
  Slot& s = slots_[i];  // a deque element: stays valid while handlers add slots
  s.poll = OpState::Idle;
  Finally rearm{[&] {
    // Level-triggered: armed again at once, so a handler that left data unread runs again next
    // iteration. Not after an error such as EBADF (the fd is gone; the owner must unwatch).
    if (s.kind == Kind::Watch && !s.released && s.poll == OpState::Idle && (c.res >= 0 || c.res == -ECANCELED))
      arm_poll(i);
    maybe_free(i);
  }};
  if (s.kind != Kind::Watch || s.released || c.res <= 0) return;
  const uint32_t events = from_poll(static_cast<uint32_t>(c.res)) & (s.interest | kHangup | kError);
  if (events != 0) s.watcher->on_io(events);
}

// ---- listeners ----------------------------------------------------------------------------------

UringBackend::Ref UringBackend::accept(int listen_fd, AcceptHandler* h) {
  if (listen_fd < 0 || h == nullptr)
    throw std::invalid_argument("UringBackend::accept(fd=" + std::to_string(listen_fd) + "): needs a fd and a handler");
  const uint32_t i = new_slot(Kind::Acceptor, listen_fd);
  slots_[i].acceptor = h;
  arm_accept(i);
  return ref_of(i, slots_[i].generation);
}

void UringBackend::stop_accepting(Ref r) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->released) return;
  const auto i = static_cast<uint32_t>(r);
  s->released = true;
  s->acceptor = nullptr;
  if (s->accepting == OpState::Armed) {
    cancel(kOpAccept, i);
    s->accepting = OpState::Cancelling;
  }
  maybe_free(i);
}

void UringBackend::arm_accept(uint32_t i) {
  Slot& s = slots_[i];
  io_uring_sqe* sqe = ring_.sqe();
  // Plain descriptors (not io_uring's fixed files): the connection still calls setsockopt and
  // shutdown on them. Blocking mode is fine: the kernel polls them for io_uring; nothing else
  // reads or writes them.
  io_uring_prep_multishot_accept(sqe, s.fd, nullptr, nullptr, SOCK_CLOEXEC);
  sqe->user_data = user_data(kOpAccept, i, s.generation);
  s.accepting = OpState::Armed;
}

void UringBackend::on_accept(uint32_t i, const Completion& c) {
  Slot& s = slots_[i];
  if ((c.flags & IORING_CQE_F_MORE) == 0) s.accepting = OpState::Idle;
  // Re-armed first: a handler that throws must not leave the listener deaf.
  if (s.kind == Kind::Acceptor && !s.released && s.accepting == OpState::Idle) arm_accept(i);
  Finally free{[&] { maybe_free(i); }};
  if (c.res >= 0) {
    if (s.released) {
      ::close(c.res);
    } else {
      s.acceptor->on_accepted(c.res);
    }
  } else if (c.res != -ECANCELED && !s.released) {
    s.acceptor->on_accept_failed(-c.res);
  }
}

// ---- streams: receiving -------------------------------------------------------------------------

UringBackend::Ref UringBackend::open_stream(int fd, StreamHandler* h) {
  if (fd < 0 || h == nullptr)
    throw std::invalid_argument("UringBackend::open_stream(fd=" + std::to_string(fd) + "): needs a fd and a handler");
  const uint32_t i = new_slot(Kind::Stream, fd);
  slots_[i].stream = h;
  slots_[i].owns_fd = true;
  arm_recv(i);
  return ref_of(i, slots_[i].generation);
}

void UringBackend::arm_recv(uint32_t i) {
  Slot& s = slots_[i];
  if (s.kind != Kind::Stream || s.released || s.recv != OpState::Idle || !s.want_recv) return;
  const std::span<uint8_t> target = s.stream->receive_target();
  if (target.empty() && buffers_.in_ring() == 0) {  // it would end at once with ENOBUFS
    if (!s.starved) {
      s.starved = true;
      starved_.push_back(i);
    }
    return;
  }
  io_uring_sqe* sqe = ring_.sqe();
  if (target.empty()) {
    io_uring_prep_recv_multishot(sqe, s.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = ProvidedBuffers::kGroup;
    s.recv_direct = false;
  } else {
    // One receive of exactly the rest of a large frame, straight where it will be parsed.
    io_uring_prep_recv(sqe, s.fd, target.data(), target.size(), MSG_WAITALL);
    s.recv_direct = true;
    s.direct_at = target.data();
    s.direct_loan = -1;
    if (s.loan >= 0 && loans_.contains(static_cast<uint32_t>(s.loan), target.data(), target.size())) {
      loans_.pin(static_cast<uint32_t>(s.loan));  // the kernel writes into it until completion
      s.direct_loan = s.loan;
    }
    ++counters_.direct_receives;
  }
  sqe->user_data = user_data(kOpRecv, i, s.generation);
  s.recv = OpState::Armed;
}

void UringBackend::on_recv(uint32_t i, const Completion& c) {
  Slot& s = slots_[i];
  const bool ended = (c.flags & IORING_CQE_F_MORE) == 0;
  if (ended) {
    s.recv = OpState::Idle;
    if (s.recv_direct && s.direct_loan >= 0) {
      loans_.unpin(static_cast<uint32_t>(s.direct_loan));
      s.direct_loan = -1;
    }
  }
  int bid = -1;
  std::span<uint8_t> bytes;
  if (c.res > 0) {
    if (c.flags & IORING_CQE_F_BUFFER) {
      bid = static_cast<int>(c.flags >> IORING_CQE_BUFFER_SHIFT);
      bytes = buffers_.take(static_cast<uint16_t>(bid), static_cast<uint32_t>(c.res), (c.flags & kCqeBufferMore) != 0);
    } else {
      bytes = {s.direct_at, static_cast<size_t>(c.res)};
    }
  }
  Finally after{[&] {
    if (bid >= 0) buffers_.settle(static_cast<uint16_t>(bid));
    maybe_free(i);
  }};
  if (!bytes.empty() && !s.released) s.stream->on_received(bytes, (c.flags & IORING_CQE_F_SOCK_NONEMPTY) != 0);
  if (!ended || s.released) return;
  if (c.res == 0) return s.stream->on_peer_shut();
  if (c.res == -ENOBUFS) {
    ++counters_.enobufs;
    if (!s.starved) {
      s.starved = true;
      starved_.push_back(i);
    }
    return;
  }
  if (c.res < 0 && c.res != -ECANCELED) return s.stream->on_failed(-c.res);
  arm_recv(i);  // the kernel ended a multishot receive, a direct one completed, or a pause ended it
}

void UringBackend::rearm_starved() {
  if (starved_.empty() || buffers_.in_ring() == 0) return;
  starved_scratch_.swap(starved_);  // arm_recv may push onto starved_ again
  for (uint32_t i : starved_scratch_) {
    slots_[i].starved = false;
    arm_recv(i);
  }
  starved_scratch_.clear();
}

void UringBackend::set_receiving(Ref r, bool on, bool watch_shut) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->released) return;
  const auto i = static_cast<uint32_t>(r);
  s->want_recv = on;
  s->watch_shut = !on && watch_shut;
  if (!on && s->recv == OpState::Armed && !s->recv_direct) {  // a direct receive ends by itself
    cancel(kOpRecv, i);
    s->recv = OpState::Cancelling;
  }
  if (s->watch_shut && s->shut_poll == OpState::Idle) {
    arm_shut_poll(i);
  } else if (!s->watch_shut && s->shut_poll == OpState::Armed) {
    cancel(kOpShutPoll, i);
    s->shut_poll = OpState::Cancelling;
  }
  if (on && s->recv == OpState::Idle) arm_recv(i);
}

void UringBackend::arm_shut_poll(uint32_t i) {
  Slot& s = slots_[i];
  io_uring_sqe* sqe = ring_.sqe();
  io_uring_prep_poll_add(sqe, s.fd, POLLRDHUP);
  sqe->user_data = user_data(kOpShutPoll, i, s.generation);
  s.shut_poll = OpState::Armed;
}

void UringBackend::on_shut_poll(uint32_t i, const Completion& c) {
  Slot& s = slots_[i];
  s.shut_poll = OpState::Idle;
  Finally free{[&] { maybe_free(i); }};
  if (s.released || !s.watch_shut || c.res < 0) return;
  if (static_cast<uint32_t>(c.res) & (POLLRDHUP | POLLHUP | POLLERR)) return s.stream->on_peer_shut();
  arm_shut_poll(i);
}

void UringBackend::receive_target_changed(Ref r) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->released) return;
  const auto i = static_cast<uint32_t>(r);
  if (s->recv == OpState::Armed && !s->recv_direct && !s->stream->receive_target().empty()) {
    cancel(kOpRecv, i);  // its last completion re-arms towards the new target
    s->recv = OpState::Cancelling;
  } else if (s->recv == OpState::Idle) {
    arm_recv(i);
  }
}

std::span<uint8_t> UringBackend::lend(Ref r, size_t bytes) {
  Slot* s = lookup(r);
  if (s == nullptr || s->released) return {};
  if (s->loan >= 0) loans_.give_back(static_cast<uint32_t>(s->loan));
  s->loan = -1;
  std::optional<LoanPool::Loan> l = loans_.take(bytes);
  if (!l) return {};
  s->loan = static_cast<int32_t>(l->id);
  return {l->data, bytes};
}

void UringBackend::end_loan(Ref r) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->loan < 0) return;
  loans_.give_back(static_cast<uint32_t>(s->loan));  // reused once no send or receive pins it
  s->loan = -1;
}

// ---- streams: sending ---------------------------------------------------------------------------

size_t UringBackend::send(Ref r, const iovec* iov, int count) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->released || s->send.state == SendState::InFlight) return 0;
  size_t taken = 0;
  for (int k = 0; k < count; ++k) {
    if (iov[k].iov_len == 0) continue;
    if (!take_into_send(*s, iov[k], taken)) break;
  }
  if (taken > 0 && s->send.state == SendState::Idle) {
    s->send.state = SendState::Pending;
    list_send(static_cast<uint32_t>(r));
  }
  return taken;
}

void UringBackend::list_send(uint32_t i) noexcept {
  // Listed at most once (a slot closed and reused before the list is read keeps its entry).
  if (slots_[i].send_listed) return;
  slots_[i].send_listed = true;
  pending_sends_.push_back(i);  // capacity reserved for every slot in new_slot()
}

bool UringBackend::take_into_send(Slot& s, const iovec& v, size_t& taken) noexcept {
  SendOp& op = s.send;
  auto* p = static_cast<const uint8_t*>(v.iov_base);
  size_t n = v.iov_len;
  // In place: bytes the kernel delivered into a provided buffer, or into this stream's loan,
  // are referenced and pinned until the send completes (zerocopy's payloads: no copy at all).
  if (op.niov < kMaxIov) {
    if (op.npins < kMaxPins) {
      if (std::optional<uint16_t> bid = buffers_.pin(p, n)) {
        op.pins[op.npins++] = *bid;
        op.iov[op.niov++] = {const_cast<uint8_t*>(p), n};
        op.left += n;
        taken += n;
        return true;
      }
    }
    if (s.loan >= 0 && loans_.contains(static_cast<uint32_t>(s.loan), p, n)) {
      if (op.loan < 0) {
        loans_.pin(static_cast<uint32_t>(s.loan));
        op.loan = s.loan;
      }
      if (op.loan == s.loan) {
        op.iov[op.niov++] = {const_cast<uint8_t*>(p), n};
        op.left += n;
        taken += n;
        return true;
      }
    }
  }
  // Copied into the send slab; consecutive copies extend one iovec.
  if (op.copied + n > kMaxCopyBytes) n = static_cast<size_t>(kMaxCopyBytes - op.copied);
  const bool whole = n == v.iov_len;
  while (n > 0) {
    const bool room = slab_.room() > 0;
    const bool extend = room && op.niov > 0 &&
                        static_cast<uint8_t*>(op.iov[op.niov - 1].iov_base) + op.iov[op.niov - 1].iov_len == slab_.tail();
    const bool same_chunk = room && op.nchunks > 0 && op.chunks[op.nchunks - 1] == slab_.current();
    if (!extend && op.niov == kMaxIov) return false;
    if (!same_chunk && op.nchunks == kMaxChunks) return false;
    SendSlab::Piece piece = slab_.append(n);
    if (op.nchunks == 0 || op.chunks[op.nchunks - 1] != piece.chunk) {
      slab_.ref(piece.chunk);
      op.chunks[op.nchunks++] = piece.chunk;
    }
    std::memcpy(piece.data, p, piece.len);
    if (extend && static_cast<uint8_t*>(op.iov[op.niov - 1].iov_base) + op.iov[op.niov - 1].iov_len == piece.data) {
      op.iov[op.niov - 1].iov_len += piece.len;
    } else {
      op.iov[op.niov++] = {piece.data, piece.len};
    }
    op.left += piece.len;
    op.copied += piece.len;
    taken += piece.len;
    p += piece.len;
    n -= piece.len;
  }
  return whole;
}

void UringBackend::release_send(SendOp& op) noexcept {
  for (uint8_t k = 0; k < op.nchunks; ++k) slab_.unref(op.chunks[k]);
  for (uint8_t k = 0; k < op.npins; ++k) buffers_.unpin(op.pins[k]);
  if (op.loan >= 0) loans_.unpin(static_cast<uint32_t>(op.loan));
  op.state = SendState::Idle;
  op.dontwait = false;
  op.niov = op.first = op.nchunks = op.npins = 0;
  op.loan = -1;
  op.left = op.copied = 0;
}

void UringBackend::prep_sends() {
  for (uint32_t i : pending_sends_) {
    Slot& s = slots_[i];
    s.send_listed = false;
    SendOp& op = s.send;
    if (op.state != SendState::Pending) continue;  // reset by a close
    io_uring_sqe* sqe = ring_.sqe();
    // MSG_DONTWAIT on a closing stream's last send: what the socket takes now, as epoll's final
    // writev would; nobody would be there to wait for the rest.
    const int flags = MSG_NOSIGNAL | (op.dontwait ? MSG_DONTWAIT : 0);
    if (op.niov - op.first == 1) {
      io_uring_prep_send(sqe, s.fd, op.iov[op.first].iov_base, op.iov[op.first].iov_len, flags);
    } else {
      op.msg = msghdr{};
      op.msg.msg_iov = op.iov + op.first;
      op.msg.msg_iovlen = static_cast<size_t>(op.niov - op.first);
      io_uring_prep_sendmsg(sqe, s.fd, &op.msg, static_cast<unsigned>(flags));
    }
    sqe->user_data = user_data(kOpSend, i, s.generation);
    op.state = SendState::InFlight;
  }
  pending_sends_.clear();
}

void UringBackend::on_send(uint32_t i, const Completion& c) {
  Slot& s = slots_[i];
  SendOp& op = s.send;
  op.state = SendState::Idle;
  Finally free{[&] { maybe_free(i); }};
  if (c.res > 0) {
    auto n = static_cast<size_t>(c.res);
    s.sent_total += n;
    op.left -= n;
    while (n > 0) {  // advance past what the kernel took
      iovec& v = op.iov[op.first];
      if (n >= v.iov_len) {
        n -= v.iov_len;
        ++op.first;
      } else {
        v.iov_base = static_cast<uint8_t*>(v.iov_base) + n;
        v.iov_len -= n;
        n = 0;
      }
    }
    if (op.left > 0 && !s.released && !op.dontwait) {  // short send: the rest goes next submit
      ++counters_.short_sends;
      op.state = SendState::Pending;
      list_send(i);
      return;
    }
  }
  const bool done = c.res > 0 && op.left == 0;
  release_send(op);
  if (s.released) return;
  if (done) return s.stream->on_sent();
  if (c.res != -ECANCELED) s.stream->on_failed(c.res < 0 ? -c.res : EPIPE);
}

uint64_t UringBackend::unsent_bytes(Ref r) const noexcept {
  const Slot* s = lookup(r);
  return s ? s->send.left : 0;
}

uint64_t UringBackend::sent_bytes(Ref r) const noexcept {
  const Slot* s = lookup(r);
  return s ? s->sent_total : 0;
}

bool UringBackend::sending(Ref r) const noexcept {
  const Slot* s = lookup(r);
  return s && s->send.state != SendState::Idle;
}

void UringBackend::abandon(Ref r) noexcept {
  if (Slot* s = lookup(r)) {
    s->released = true;
    s->stream = nullptr;
  }
}

void UringBackend::close_stream(Ref r, CloseMode mode) noexcept {
  Slot* s = lookup(r);
  if (s == nullptr || s->released) return;
  const auto i = static_cast<uint32_t>(r);
  s->released = true;
  s->stream = nullptr;
  if (s->recv == OpState::Armed) {
    cancel(kOpRecv, i);
    s->recv = OpState::Cancelling;
  }
  if (s->shut_poll == OpState::Armed) {
    cancel(kOpShutPoll, i);
    s->shut_poll = OpState::Cancelling;
  }
  SendOp& op = s->send;
  if (op.state == SendState::Pending) {
    if (mode == CloseMode::Reset) {
      release_send(op);
    } else {
      op.dontwait = true;
    }
  } else if (op.state == SendState::InFlight) {
    // Waiting for room the peer does not make: dropped, as epoll drops a backlog on close.
    cancel(kOpSend, i);
  }
  if (s->loan >= 0) {
    loans_.give_back(static_cast<uint32_t>(s->loan));
    s->loan = -1;
  }
  maybe_free(i);
}

// ---- the loop -----------------------------------------------------------------------------------

void UringBackend::run_once(int timeout_ms) {
  if (!ring_.enabled()) ring_.enable_here();
  prep_sends();
  // Completions left over by a handler's exception are dispatched before any new ones.
  ring_.submit_and_wait(batch_i_ < batch_n_ ? 0 : timeout_ms);
  drain();
  if (const IdlePages::Clock::time_point now = IdlePages::Clock::now(); now - last_trim_ > kTrimIdle) {
    last_trim_ = now;
    slab_.trim_idle(now, kTrimIdle);
    loans_.trim_idle(now, kTrimIdle);
  }
}

void UringBackend::drain() {
  for (;;) {
    while (batch_i_ < batch_n_) {
      const Completion c = batch_[batch_i_++];  // counted as dispatched before the handler runs
      dispatch(c);
    }
    rearm_starved();
    batch_n_ = ring_.take(batch_, kBatch);
    batch_i_ = 0;
    if (batch_n_ == 0) return;
  }
}

void UringBackend::dispatch(const Completion& c) {
  ++counters_.completions;
  const auto op = static_cast<Op>(c.user_data >> 56);
  if (op == kOpCancel) return;  // a cancel's own result: what it cancelled reports by itself
  const auto i = static_cast<uint32_t>(c.user_data);
  const auto gen = static_cast<uint16_t>(c.user_data >> 32);
  if (i >= slots_.size() || slots_[i].kind == Kind::Free || slots_[i].generation != gen) {
    // Cannot happen (a slot outlives its operations); if it did, give back what it carried.
    ++counters_.stale;
    if (op == kOpRecv && c.res > 0 && (c.flags & IORING_CQE_F_BUFFER)) {
      const auto bid = static_cast<uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
      buffers_.take(bid, static_cast<uint32_t>(c.res), (c.flags & kCqeBufferMore) != 0);
      buffers_.settle(bid);
    }
    if (op == kOpAccept && c.res >= 0) ::close(c.res);
    return;
  }
  switch (op) {
    case kOpPoll: return on_poll(i, c);
    case kOpAccept: return on_accept(i, c);
    case kOpRecv: return on_recv(i, c);
    case kOpSend: return on_send(i, c);
    case kOpShutPoll: return on_shut_poll(i, c);
    case kOpCancel: return;
  }
}

std::string UringBackend::stats_json() const {
  const ProvidedBuffers::Stats& b = buffers_.stats();
  return std::string("{\"backend\":\"uring\",\"incremental_buffers\":") + (buffers_.incremental() ? "true" : "false") +
         ",\"buffers\":{\"count\":" + std::to_string(buffers_.count()) +
         ",\"bytes\":" + std::to_string(buffers_.buffer_bytes()) + ",\"in_ring\":" + std::to_string(buffers_.in_ring()) +
         ",\"recycled\":" + std::to_string(b.recycled) + ",\"pins\":" + std::to_string(b.pins) +
         ",\"pins_refused\":" + std::to_string(b.pins_refused) + "},\"send_slab\":{\"chunks\":" +
         std::to_string(slab_.chunks()) + ",\"grown\":" + std::to_string(slab_.grown()) +
         ",\"resident\":" + std::to_string(slab_.resident_chunks()) +
         "},\"loans\":{\"buffers\":" + std::to_string(loans_.buffers()) + ",\"lent_bytes\":" +
         std::to_string(loans_.lent_bytes()) + ",\"refused\":" + std::to_string(loans_.refused()) +
         "},\"io_uring_enter\":" + std::to_string(ring_.enters()) + ",\"completions\":" +
         std::to_string(counters_.completions) + ",\"enobufs\":" + std::to_string(counters_.enobufs) +
         ",\"short_sends\":" + std::to_string(counters_.short_sends) + ",\"direct_receives\":" +
         std::to_string(counters_.direct_receives) + ",\"slots\":" + std::to_string(slots_.size()) + "}";
}

}  // namespace wsalloc::net
