#pragma once
// uring_connection.hpp: a Session on an io_uring stream: the completion-side twin of
// connection.hpp (same lifecycle, same limits, same public face for the Worker: the lifecycle and
// the commands from outside an event live once, in connection_link.hpp; the conformance, interop,
// hardening, route and soak suites run against both).
//
// What differs from epoll:
//   receiving  bytes arrive in the poller thread's provided buffers (net/provided_buffers.hpp)
//              and are handed to the session where they lie: parsed and unmasked in place, as
//              epoll's loop buffer is. Backpressure pauses the multishot receive instead of
//              changing epoll interest.
//   sending    write() gives the session's output to the stream's one send (net/uring_backend.hpp),
//              which either references it (bytes in a provided buffer or in this connection's
//              loan: zerocopy's in-place payloads) and pins that memory until the send completes,
//              or copies it into the thread's send slab (the cork, send-queue nodes, backlogs:
//              memory that is reused as soon as flush() returns). While that send is in flight
//              write() takes nothing and the pipeline keeps the rest in its backlog, as it does
//              when epoll's writev meets a full socket; on_sent() flushes it.
//   large frames  a binary frame of kGatherFrom bytes or more that starts a message and that a
//              receive delivers only in part is not parsed piecewise (worth_gathering() says which): the connection borrows a buffer the frame's size (a loan),
//              copies in the part it has, and receives the rest straight into it (one
//              MSG_WAITALL receive). The whole frame is then parsed in place and zerocopy's echo
//              sent from the loan, so a 64 KiB or 1 MiB echo is copied no more than on epoll.
//              Up to LoanPool::kMaxBytes; larger frames (and any when the pool's cap is reached)
//              take the piecewise path, where the pipelines assemble messages as they do on epoll.
//   split frames  a receive ends where its provided buffer ends (every 1 MiB of a thread's
//              traffic with INC buffers), cutting a frame that the socket already holds the rest
//              of (the completion says so: more_queued). A small frame cut that way is not fed
//              in pieces (zerocopy would copy it into its assembly buffer, whose size class would
//              depend on where the cut fell): its start stays where it is (held: the buffer is
//              pinned) and the next receive completes it in the thread's join buffer, where it is
//              parsed whole. A frame cut because the peer has not sent the rest is fed at once, as
//              on epoll, so a bad header or invalid UTF-8 still fails as early as the bytes allow.
//   closing    the backend owns the descriptor once the stream is open and closes it when the
//              kernel has finished every operation on it.
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/frame_scan.hpp"
#include "net/poller.hpp"
#include "net/stream_handler.hpp"
#include "net/uring_backend.hpp"
#include "variants/connection_link.hpp"
#include "variants/send_progress.hpp"
#include "variants/server_options.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

template <class Worker>
class UringConnection final : public ConnectionLink<UringConnection<Worker>>, public net::StreamHandler,
                              public Writer {
  using Link = ConnectionLink<UringConnection<Worker>>;
  friend Link;

 public:
  using typename Link::Clock;
  using Link::abort;
  using Link::close;
  using SessionT = typename Worker::SessionT;
  // Smaller frames split over two receives are parsed piecewise: copying a few KiB into the
  // pipeline's assembly buffer costs less than re-planning the receive.
  static constexpr uint64_t kGatherFrom = 16 * 1024;

  UringConnection(Worker& worker, int fd)
      : Link(fd), worker_(worker), session_(worker.plan(), *this, worker.app(), worker.options().limits,
                                            worker.stats_source()),
        progress_(opened_) {
    session_.app_state().owner = this;
  }

  // After the worker has filed the connection: the backend takes the descriptor and receives.
  void start() { ref_ = backend().open_stream(fd_, this); }
  // Server exit, after the loop ended (maybe on another thread): the backend's teardown cancels
  // what is left and closes the descriptor.
  void close_at_exit() noexcept {
    release_carry();
    backend().abandon(ref_);
  }

  SessionT& session() noexcept { return session_; }

  // See Connection::send_stalled; progress is what the kernel took from this stream's sends.
  bool send_stalled(Clock::time_point now, Clock::duration limit) noexcept {
    return progress_.stalled(now, limit, unsent_bytes(), backend().sent_bytes(ref_));
  }

  // Writer: the stream's one send. 0 = a send is in flight (the pipeline queues the rest).
  ssize_t write(const iovec* iov, int count) noexcept override {
    if (link_ == LinkState::Dead) return -1;
    return static_cast<ssize_t>(backend().send(ref_, iov, count));
  }

  // ---- net::StreamHandler ----
  void on_received(std::span<uint8_t> bytes, bool more_queued) override {
    if (link_ == LinkState::Dead) return;
    worker_.count_received(bytes.size());  // GET /stats' received_bytes, as the epoll Connection counts
    if (gather_total_ != 0) {
      const bool from_ring = bytes.data() != loan_.data() + gather_have_;
      bytes = gather(bytes);
      if (link_ == LinkState::Dead) return;
      if (gather_have_ < gather_total_) {
        // The receives already queued did not finish the frame: the rest straight into the loan.
        if (from_ring && !more_queued) backend().receive_target_changed(ref_);
        return;
      }
      const std::span<uint8_t> frame = loan_.first(gather_total_);
      gather_total_ = gather_have_ = 0;  // the receive target is back to the provided buffers
      const bool alive = handle(frame);
      backend().end_loan(ref_);
      if (!alive) return;
    }
    if (!carry_.empty() && !bytes.empty()) {
      bytes = join(bytes);
      if (link_ == LinkState::Dead) return;
    }
    if (!bytes.empty()) arrive(bytes, more_queued);
  }
  void on_sent() override {
    if (link_ == LinkState::Dead) return;
    if (session_.flush() == WriteOutcome::Failed) return abort();  // the backlog, next
    if (link_ == LinkState::Flushing && unsent_bytes() == 0) shut_write();
    if (link_ != LinkState::Dead) update_interest();
  }
  // The peer's FIN (nothing more will come, and nobody may read our replies), or a reset.
  void on_peer_shut() override { abort(); }
  void on_failed(int) override { abort(); }
  std::span<uint8_t> receive_target() override {
    return gather_total_ == 0 ? std::span<uint8_t>{} : loan_.subspan(gather_have_, gather_total_ - gather_have_);
  }

 private:
  net::UringBackend& backend() noexcept { return *worker_.poller().uring(); }
  size_t unsent_bytes() const noexcept {
    return session_.unsent_bytes() + worker_.poller().uring()->unsent_bytes(ref_);
  }

  // Bytes from a receive into the provided buffers: parsed where they lie, unless they end in the
  // first part of a frame: a large one is gathered into a loan, a small one the socket already
  // holds the rest of is carried to the next receive.
  void arrive(std::span<uint8_t> bytes, bool more_queued) {
    if (link_ == LinkState::Live) {
      if (std::optional<uint64_t> first = session_.bytes_to_next_header()) {
        if (std::optional<core::TailFrame> t = core::incomplete_tail_frame(bytes, *first)) {
          const bool gathered = t->header_complete && worth_gathering(*t);
          const bool carried = !gathered && more_queued && (!t->header_complete || t->total <= kJoinMax);
          if (gathered || carried) {
            if (t->offset > 0 && !handle(bytes.first(t->offset))) return;
            const std::span<uint8_t> tail = bytes.subspan(t->offset);
            if (gathered ? start_gather(*t, tail, more_queued) : carry(tail)) return;
            handle(tail);
            return;
          }
        }
      }
    }
    handle(bytes);
  }

  // The largest frame joined in the thread's join buffer.
  static constexpr uint64_t kJoinMax = net::UringBackend::kJoinBytes;

  bool carry(std::span<uint8_t> tail) {
    if (link_ != LinkState::Live || session_.bytes_to_next_header() != uint64_t{0}) return false;
    std::optional<uint16_t> held = backend().hold(tail);
    if (!held) return false;  // the pin limit: feed it in pieces instead
    carry_ = tail;
    carry_held_ = *held;
    return true;
  }

  void release_carry() noexcept {
    if (carry_.empty()) return;
    backend().release(carry_held_);
    carry_ = {};
  }

  // Completes the carried frame from the front of `bytes` in the join buffer and handles it.
  // Returns the bytes after it. If `bytes` cannot complete it (the peer stopped mid-frame after
  // all), everything is fed in pieces, as on epoll.
  std::span<uint8_t> join(std::span<uint8_t> bytes) {
    const std::span<uint8_t> scratch = backend().join_buffer();
    const size_t have = carry_.size();
    std::memcpy(scratch.data(), carry_.data(), have);
    release_carry();
    size_t took = std::min(bytes.size(), have < core::kMaxFrameHeader ? core::kMaxFrameHeader - have : size_t{0});
    std::memcpy(scratch.data() + have, bytes.data(), took);
    core::FrameHeader h;
    const bool known = core::parse_frame_header(scratch.first(have + took), h) == core::HeaderParse::Complete;
    const uint64_t total = known ? h.header_len + h.payload_len : 0;
    if (!known || total > scratch.size() || total > have + bytes.size()) {
      handle(scratch.first(have + took));
      return bytes.subspan(took);
    }
    if (total > have + took) {
      std::memcpy(scratch.data() + have + took, bytes.data() + took, static_cast<size_t>(total) - have - took);
    }
    handle(scratch.first(static_cast<size_t>(total)));
    return bytes.subspan(static_cast<size_t>(total) - have);
  }

  // Only the first (or only) frame of a binary message, and only one the parser will accept at
  // its header: an oversized, reserved or out-of-place frame must fail at once (1009, 1002), not
  // after the server waited for its payload. Not text: invalid UTF-8 is refused as early as the
  // bytes allow (1007), which a frame held back until complete would delay. Continuation frames
  // take the piecewise path: every pipeline assembles a fragmented message anyway.
  bool worth_gathering(const core::TailFrame& t) const noexcept {
    const uint64_t max_message = worker_.options().limits.protocol.max_message;
    return t.total >= kGatherFrom && t.total <= net::LoanPool::kMaxBytes && t.header.masked &&
           t.header.rsv == 0 && t.header.opcode == static_cast<uint8_t>(core::Opcode::Binary) &&
           (max_message == 0 || t.header.payload_len <= max_message);
  }

  bool start_gather(const core::TailFrame& t, std::span<uint8_t> part, bool more_queued) {
    // handle() above may have closed the session or left it elsewhere than a frame boundary; and
    // inside a fragmented message a binary frame is a protocol error (1002) due at its header.
    if (link_ != LinkState::Live || session_.bytes_to_next_header() != uint64_t{0} || session_.message_open())
      return false;
    loan_ = backend().lend(ref_, static_cast<size_t>(t.total));
    if (loan_.empty()) return false;
    std::memcpy(loan_.data(), part.data(), part.size());
    gather_total_ = static_cast<size_t>(t.total);
    gather_have_ = part.size();
    // The rest: one receive straight into the loan, unless the socket already holds more, which
    // the multishot receive is taking into the ring right now (switching costs a cancel and a
    // re-arm; those bytes are copied into the loan as they come).
    if (!more_queued) backend().receive_target_changed(ref_);
    return true;
  }

  // Adds received bytes to the frame being gathered. They are already in place when they come
  // from the receive into the loan; bytes from provided buffers (receives completed before the
  // switch) are copied. Returns what lies beyond the frame.
  std::span<uint8_t> gather(std::span<uint8_t> bytes) {
    uint8_t* at = loan_.data() + gather_have_;
    const size_t n = bytes.size() < gather_total_ - gather_have_ ? bytes.size() : gather_total_ - gather_have_;
    if (bytes.data() != at) std::memcpy(at, bytes.data(), n);
    gather_have_ += n;
    return bytes.subspan(n);
  }

  // The per-message path: parse, handle, queue replies, flush. Returns false when the connection died.
  bool handle(std::span<uint8_t> bytes) {
    if (link_ == LinkState::Draining) return true;  // discard: the close handshake is done
    since_ = Clock::now();
    Next next = session_.on_bytes(bytes);
    if (session_.flush() == WriteOutcome::Failed) {
      abort();
      return false;
    }
    if (next == Next::Close && link_ == LinkState::Live) begin_flushing();
    if (link_ != LinkState::Dead) update_interest();
    return link_ != LinkState::Dead;
  }

  // ---- for ConnectionLink ----
  // Replies already handed to the kernel still leave; one queued this iteration leaves with
  // MSG_DONTWAIT (what the socket takes now) unless `reset`.
  void release_transport(bool reset) {
    release_carry();
    backend().close_stream(ref_, reset ? net::CloseMode::Reset : net::CloseMode::Graceful);
  }

  // Connection::update_interest, with a paused receive for epoll's interest bits.
  void update_interest() {
    bool want = false, watch_shut = false;
    const size_t unsent = unsent_bytes();
    switch (link_) {
      case LinkState::Live:
        if (unsent > worker_.options().max_backlog) [[unlikely]] {
          return close(core::CloseCode::PolicyViolation, "slow consumer: unsent bytes over max backlog");
        }
        if (reading_ && unsent > worker_.options().high_water) reading_ = false;
        if (!reading_ && unsent < worker_.options().low_water) reading_ = true;
        want = reading_;
        watch_shut = !reading_;  // epoll's kPeerShut: a paused connection still hears a FIN
        break;
      case LinkState::Flushing: break;
      case LinkState::Draining: want = true; break;
      case LinkState::Dead: return;
    }
    if (want != receiving_ || watch_shut != watching_shut_) {
      backend().set_receiving(ref_, want, watch_shut);
      receiving_ = want;
      watching_shut_ = watch_shut;
    }
  }

  using Link::fd_;
  using Link::link_;
  using Link::opened_;
  using Link::since_;
  using Link::begin_flushing;
  using Link::shut_write;

  Worker& worker_;
  net::UringBackend::Ref ref_ = 0;
  SessionT session_;
  SendProgress progress_;     // --send-timeout-ms
  std::span<uint8_t> loan_;   // the large frame being gathered (valid while gather_total_ != 0)
  size_t gather_total_ = 0, gather_have_ = 0;
  std::span<uint8_t> carry_;  // the start of a small frame cut by a buffer's end (held)
  uint16_t carry_held_ = 0;
  bool reading_ = true;       // backpressure hysteresis, as in Connection
  bool receiving_ = true, watching_shut_ = false;  // what the backend was last told
};

}  // namespace wsalloc::variants
