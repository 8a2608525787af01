#pragma once
// UringBackend: the Poller's io_uring engine (one per poller thread, chosen with
// PollerOptions::io = IoBackend::Uring). Three kinds of users, one slot table:
//
//   watchers   Poller::watch/rewatch/unwatch, level-triggered as with epoll: a one-shot poll,
//              re-armed after each dispatch, so a handler that leaves data unread is called again
//              (the wake-up eventfd, tests, anything fd-shaped)
//   listeners  accept(): one multishot accept per listener, plain descriptors
//   streams    open_stream(): a connection. Receives: one multishot receive into the thread's
//              provided buffers (re-armed when the kernel ends it, e.g. on ENOBUFS once buffers
//              are back), or, on request, one receive straight into the handler's memory (large
//              frames, see loan_pool.hpp). Sends: at most ONE in flight per stream; send() fills
//              it (copying into the send slab, or pinning received bytes and loans in place) and
//              it is submitted with the loop's next wait, so every reply of an iteration leaves in
//              that iteration's single io_uring_enter; a short send is resubmitted from where it
//              stopped; while it is in flight send() takes nothing (the caller queues).
//
// One iteration (run_once): prepare the queued sends -> io_uring_enter (submit everything, wait
// for one completion or the timeout, run the deferred task work) -> dispatch every completion.
// The Poller's other phases (tasks, completions, timers, hooks) run after it, as with epoll.
//
// user_data = operation (8 bits) | generation (16 bits) | slot (32 bits): no allocation per
// operation. A slot is reused only after every operation it started has completed (a released
// slot cancels its operations by user_data, which cannot hit another slot's), so a completion
// always reaches the slot that started it; a released slot's completions only give resources
// back. A stream's descriptor is closed by the backend when its last operation has finished.
//
// Threads: everything on the thread that runs the loop; the ring is enabled by the first
// run_once() (SINGLE_ISSUER), so the backend may be built on another thread.
// Exceptions: a handler's exception leaves run_once(); the completions after it in the batch are
// kept and dispatched first by the next run_once() (never lost, never twice).
// Allocation: dispatch, send() and the re-arms allocate nothing in steady state; the slot table,
// send slab and loan pool grow to their peaks and stay there.
#include <sys/socket.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/io_handler.hpp"
#include "net/loan_pool.hpp"
#include "net/provided_buffers.hpp"
#include "net/send_slab.hpp"
#include "net/stream_handler.hpp"
#include "net/uring_ring.hpp"

namespace wsalloc::net {

struct UringOptions {
  UringRingOptions ring{};
  ProvidedBuffersOptions buffers{};
};

enum class CloseMode : uint8_t {
  Graceful,  // a send queued but not yet submitted still goes out, without waiting for room
  Reset,     // nothing more is sent (the caller set SO_LINGER 0 for a RST)
};

class UringBackend {
 public:
  using Ref = uint64_t;  // generation << 32 | slot; never 0

  // Throws std::system_error naming io_uring_setup or io_uring_register.
  explicit UringBackend(const UringOptions& o = {});
  ~UringBackend();
  UringBackend(const UringBackend&) = delete;
  UringBackend& operator=(const UringBackend&) = delete;

  // ---- watchers: Poller::watch semantics (see poller.hpp) ----
  void watch(int fd, IoHandler* h, uint32_t interest);
  void rewatch(int fd, IoHandler* h, uint32_t interest);
  void unwatch(int fd) noexcept;
  size_t watched() const noexcept { return watched_; }

  // ---- listeners ----
  Ref accept(int listen_fd, AcceptHandler* h);
  void stop_accepting(Ref r) noexcept;  // the caller still owns (and closes) listen_fd

  // ---- streams ----
  // Starts receiving. The backend owns fd from here on and closes it after close_stream().
  Ref open_stream(int fd, StreamHandler* h);
  // Takes bytes for the stream's one send: all of them, a prefix (the send's iovec, chunk or
  // pin slots are full), or none while a send is in flight. Returns the count taken.
  size_t send(Ref r, const iovec* iov, int count) noexcept;
  bool sending(Ref r) const noexcept;            // a send is queued or in flight
  uint64_t unsent_bytes(Ref r) const noexcept;   // taken by send() but not yet by the kernel
  uint64_t sent_bytes(Ref r) const noexcept;     // taken by the kernel, ever
  // Pause (on = false) or resume receiving; watch_shut: while paused, report the peer's FIN.
  void set_receiving(Ref r, bool on, bool watch_shut) noexcept;
  // The handler's receive_target() changed: re-arm the receive accordingly.
  void receive_target_changed(Ref r) noexcept;
  // A buffer of >= bytes for this stream, pinned by sends that reference it; empty when the
  // loan pool says no (the caller takes the piecewise path). One loan per stream at a time.
  std::span<uint8_t> lend(Ref r, size_t bytes);
  void end_loan(Ref r) noexcept;
  // Keeps received bytes (from on_received) valid past the call: their provided buffer stays out
  // of the ring until release(). nullopt when refused (the pin limit); then they are not kept.
  std::optional<uint16_t> hold(std::span<const uint8_t> received) noexcept { return buffers_.pin(received.data(), received.size()); }
  void release(uint16_t held) noexcept { buffers_.unpin(held); }
  // Scratch for joining a small frame split over two receives: kJoinBytes, valid until the
  // handler returns (one per poller thread).
  static constexpr size_t kJoinBytes = 16 * 1024 + 16;
  std::span<uint8_t> join_buffer() noexcept { return {join_.get(), kJoinBytes}; }
  // No more callbacks to the handler; operations are cancelled (see CloseMode) and the fd is
  // closed once the kernel has finished with them.
  void close_stream(Ref r, CloseMode mode) noexcept;
  // After the loop has ended for good (e.g. a server's exit, on any thread): no more callbacks;
  // the destructor cancels what is left and closes the fd.
  void abandon(Ref r) noexcept;

  // ---- the loop ----
  void run_once(int timeout_ms);
  std::string stats_json() const;
  const ProvidedBuffers& buffers() const noexcept { return buffers_; }
  uint64_t enters() const noexcept { return ring_.enters(); }

 private:
  enum Op : uint8_t { kOpPoll = 1, kOpAccept, kOpRecv, kOpSend, kOpShutPoll, kOpCancel };
  enum class Kind : uint8_t { Free, Watch, Acceptor, Stream };
  enum class OpState : uint8_t { Idle, Armed, Cancelling };
  enum class SendState : uint8_t { Idle, Pending, InFlight };

  static constexpr int kMaxIov = 16;
  // Copied bytes per send: a 1 MiB echo and its header fit one send (the pipelines' backlogs stay
  // empty, as with epoll, whose socket buffer takes such a reply at once); what is larger waits in
  // the pipeline's backlog. A byte count, not a chunk count: how much of a reply spills must not
  // depend on where the slab's current chunk happens to be (an arena's peak would). Chunks that a
  // stalled send held go back to the kernel when idle (SendSlab::trim_idle).
  static constexpr size_t kMaxCopyBytes = (size_t{1} << 20) + 64 * 1024;
  static constexpr int kMaxChunks = 19;  // kMaxCopyBytes over 64 KiB chunks, + the first, shared one
  static constexpr int kMaxPins = 8;

  struct SendOp {
    SendState state = SendState::Idle;
    bool dontwait = false;        // a graceful close's last send: what fits now, no retry
    uint8_t niov = 0, first = 0;  // iov[first..niov) not yet taken by the kernel
    uint8_t nchunks = 0, npins = 0;
    int32_t loan = -1;            // the stream's loan, pinned by this send
    uint64_t left = 0;            // bytes of iov[first..niov)
    uint64_t copied = 0;          // of which in the send slab
    iovec iov[kMaxIov];
    uint32_t chunks[kMaxChunks];
    uint16_t pins[kMaxPins];
    msghdr msg{};
  };
  struct Slot {
    Kind kind = Kind::Free;
    bool released = false;
    bool owns_fd = false;
    uint16_t generation = 1;
    bool send_listed = false;  // in pending_sends_ (kept across reuse, like the generation)
    int fd = -1;
    IoHandler* watcher = nullptr;
    AcceptHandler* acceptor = nullptr;
    StreamHandler* stream = nullptr;
    // watchers
    uint32_t interest = 0, armed_mask = 0;
    OpState poll = OpState::Idle;
    // listeners
    OpState accepting = OpState::Idle;
    // streams
    OpState recv = OpState::Idle;
    bool recv_direct = false;  // the armed receive is into receive_target(), not the ring
    uint8_t* direct_at = nullptr;
    int32_t direct_loan = -1;  // the loan the armed direct receive writes into (pinned)
    bool want_recv = true, watch_shut = false, starved = false;
    OpState shut_poll = OpState::Idle;
    int32_t loan = -1;
    uint64_t sent_total = 0;
    SendOp send;
  };

  static uint64_t user_data(Op op, uint32_t slot, uint16_t gen) noexcept {
    return (uint64_t{op} << 56) | (uint64_t{gen} << 32) | slot;
  }
  static Ref ref_of(uint32_t slot, uint16_t gen) noexcept { return (uint64_t{gen} << 32) | slot; }
  Slot* lookup(Ref r) noexcept;
  const Slot* lookup(Ref r) const noexcept;
  uint32_t new_slot(Kind k, int fd);
  void maybe_free(uint32_t slot) noexcept;
  void cancel(Op op, uint32_t slot) noexcept;

  void arm_poll(uint32_t slot);
  void arm_accept(uint32_t slot);
  void arm_recv(uint32_t slot);
  void arm_shut_poll(uint32_t slot);
  bool take_into_send(Slot& s, const iovec& v, size_t& taken) noexcept;
  void list_send(uint32_t slot) noexcept;
  void release_send(SendOp& op) noexcept;
  void prep_sends();

  void drain();
  void dispatch(const Completion& c);
  void on_poll(uint32_t slot, const Completion& c);
  void on_accept(uint32_t slot, const Completion& c);
  void on_recv(uint32_t slot, const Completion& c);
  void on_send(uint32_t slot, const Completion& c);
  void on_shut_poll(uint32_t slot, const Completion& c);
  void rearm_starved();

  UringRing ring_;
  ProvidedBuffers buffers_;
  std::unique_ptr<uint8_t[]> join_ = std::make_unique_for_overwrite<uint8_t[]>(kJoinBytes);
  SendSlab slab_;
  LoanPool loans_;
  std::deque<Slot> slots_;        // deque: a slot never moves (the kernel reads its msghdr)
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> watch_by_fd_;  // fd -> slot + 1 (0 = not watched)
  size_t watched_ = 0;
  std::vector<uint32_t> pending_sends_, starved_, starved_scratch_;

  static constexpr size_t kBatch = 256;
  // Send-slab chunks and loans unused for this long give their pages back; looked for once a
  // second (one clock read per iteration, ~20 ns against an io_uring_enter's microsecond).
  static constexpr std::chrono::milliseconds kTrimIdle{1000};
  Completion batch_[kBatch];
  size_t batch_n_ = 0, batch_i_ = 0;  // completions taken from the ring, and dispatched so far
  IdlePages::Clock::time_point last_trim_ = IdlePages::Clock::now();

  struct Counters {
    uint64_t completions = 0, enobufs = 0, short_sends = 0, direct_receives = 0, stale = 0;
  } counters_;
};

}  // namespace wsalloc::net
