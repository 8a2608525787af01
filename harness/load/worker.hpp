// Worker: one thread, one epoll set, its share of the connections. Nothing in it is touched by
// another thread except the atomics marked "live" (read by the coordinator's progress line) and
// wake() (eventfd; async-signal-safe, used by the coordinator and by broadcast receivers).
//
// One iteration, in reading order (Redis ae style):
//   now -> phase transitions -> open-loop schedule (assign due messages to connections)
//   -> flush dirty connections -> expire deadlines -> epoll_pwait2 (timeout = next due message,
//   deadline or phase boundary) -> for each event: connect / handshake / read+verify / write.
// Per connection per read batch: recv() into the loop buffer until a short read, feed the parser,
// verify each echo, top the pipeline up, build the new frames into the write buffer, one send().
//
// Phases: Setup (initial connects, <= kConnectsInFlight at a time) -> WaitStart (coordinator
// releases every worker together) -> Sending (warm-up, then the measured window) -> Drain (no new
// messages; wait for outstanding echoes up to --drain) -> Closing (Close handshake, <= 1 s) -> Done.
// --hold: a drained window goes to Held instead of Closing (its results in `window`, the live ones
// zeroed) and from there back to WaitStart for the next window, or to Closing when the coordinator
// ends the hold. A drain that timed out closes: outstanding echoes would land in the next window.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "core/deflate_negotiation.hpp"
#include "load/connection.hpp"
#include "load/frame_builder.hpp"
#include "load/histogram.hpp"
#include "load/pacing.hpp"
#include "load/prng.hpp"
#include "load/results.hpp"
#include "load/shared_state.hpp"

namespace wsalloc::load {

uint64_t mono_ns() noexcept;

class Worker {
 public:
  // Throws std::system_error when epoll or eventfd cannot be created.
  Worker(SharedState& shared, size_t index, uint64_t seed);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void add_connection(uint32_t id, ConnRole role);  // before run()
  void run() noexcept;
  void wake() noexcept;                             // thread-safe, async-signal-safe
  size_t connection_count() const noexcept { return conns_.size(); }

  // Live values for the progress line (written by the worker, relaxed).
  std::atomic<uint64_t> live_messages{0};
  std::atomic<uint64_t> live_errors{0};
  std::atomic<uint64_t> live_handshakes{0};
  std::atomic<bool> finished{false};

  // Results: read only after the thread has been joined.
  Counters counters;
  LatencyHistogram latency;
  LatencyHistogram handshake_latency;
  CpuTimes cpu;                      // this thread, measured window only
  uint64_t send_stop_ns = 0;         // when this worker stopped sending (0: never started)
  uint64_t drained_ns = 0;           // when its last echo of the window came back (0: the drain timed out)
  uint64_t established = 0;          // connections open at the end of set-up
  bool sender_established = false;   // broadcast: this worker's sender was open after set-up
  uint64_t setup_end_ns = 0;         // when this worker's initial connects had all settled
  std::vector<std::string> first_errors;

  // --hold: the last drained window's results (the fields above, as they were), written before
  // SharedState::held counts this worker and read by the coordinator only after it has.
  struct WindowResults {
    Counters counters;
    LatencyHistogram latency;
    LatencyHistogram handshake_latency;
    CpuTimes cpu;
    uint64_t send_stop_ns = 0;
    uint64_t drained_ns = 0;
    std::vector<std::string> first_errors;
  };
  WindowResults window;

  // Parser callbacks (called through ConnSink).
  void on_data(Conn& c, core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) noexcept;
  void on_ping(Conn& c, std::span<const uint8_t> payload) noexcept;
  void on_close(Conn& c, uint16_t code, std::string_view reason) noexcept;
  void on_protocol_error(Conn& c, core::CloseCode code, std::string_view why) noexcept;

 private:
  enum class Phase : uint8_t { Setup, WaitStart, Sending, Drain, Held, Closing, Done };
  enum class Failure : uint8_t { Connect, Handshake, UnexpectedClose, Protocol };

  // worker.cpp: the loop, phases, scheduling
  void iterate(uint64_t now) noexcept;
  void advance_phase(uint64_t now) noexcept;
  void begin_drain(uint64_t now) noexcept;
  void begin_closing(uint64_t now) noexcept;
  void enter_held() noexcept;
  void leave_held() noexcept;
  bool all_settled() const noexcept;
  bool queues_empty() const noexcept;
  void schedule_open_loop(uint64_t now) noexcept;
  bool take_budget() noexcept;
  bool sending_allowed() const noexcept { return phase_ == Phase::Sending && !stop_sending_; }
  void expire_deadlines(uint64_t now) noexcept;
  void set_deadline(Conn& c, uint64_t at) noexcept;
  uint64_t next_wakeup(uint64_t now) const noexcept;
  void wait_events(uint64_t timeout_ns) noexcept;
  void dispatch(const epoll_event& ev) noexcept;
  void mark_dirty(Conn& c) noexcept;
  void note_error(const std::string& what);
  void publish_live() noexcept;
  void start_next_connects(uint64_t now) noexcept;
  void snapshot_cpu_start() noexcept;
  void snapshot_cpu_end() noexcept;
  void broadcast_check_window() noexcept;
  void set_dead(Conn& c) noexcept;
  std::string endpoint() const;

  // worker_io.cpp: sockets
  void start_connect(Conn& c, uint64_t now) noexcept;
  void on_connect_ready(Conn& c, uint64_t now) noexcept;
  void on_readable(Conn& c) noexcept;
  void read_handshake(Conn& c, std::span<uint8_t> bytes) noexcept;
  void read_raw(Conn& c, std::span<const uint8_t> bytes) noexcept;
  void after_feed(Conn& c) noexcept;
  void pump(Conn& c) noexcept;
  enum class BuildStop : uint8_t { Done, BufferFull };
  BuildStop build_pending(Conn& c, uint64_t now) noexcept;
  void top_up(Conn& c) noexcept;
  void flush(Conn& c) noexcept;
  void send_close(Conn& c, uint16_t code) noexcept;
  void start_close(Conn& c, uint64_t now) noexcept;
  void finish_close(Conn& c) noexcept;
  void fail(Conn& c, Failure why, const std::string& detail) noexcept;
  void close_socket(Conn& c) noexcept;
  void after_session(Conn& c) noexcept;

  // worker_deflate.cpp: permessage-deflate
  bool start_deflate(Conn& c, const ResponseInfo& info) noexcept;
  size_t write_compressed(Conn& c, uint8_t* out, core::Opcode op, std::span<const uint8_t> head,
                          std::span<const uint8_t> tail) noexcept;
  void retire_deflate(Conn& c) noexcept;

  // worker_frames.cpp: verification and accounting
  void account(Conn& c, const VerifyResult& r) noexcept;
  void account_broadcast(Conn& c, const VerifyResult& r) noexcept;
  void account_foreign(Conn& c, const VerifyResult& r) noexcept;
  void broadcast_ack(uint64_t seq) noexcept;
  // By send time alone: a receiver's worker may see a delivery before its own loop has noticed that
  // the window opened. window_start_ is UINT64_MAX until the start is published.
  bool measured(uint64_t sent_ns) const noexcept { return sent_ns >= window_start_; }

  SharedState& sh_;
  const Config& cfg_;
  const PayloadCatalogue& cat_;
  const size_t index_;
  int epfd_ = -1;
  int evfd_ = -1;
  Wyrand rng_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<size_t> wire_bytes_;   // per size class: bytes on the wire for one message
  std::vector<size_t> room_bytes_;   // per size class: what building one may need (--deflate: its bound)
  std::vector<PrebuiltHeader> headers_;  // per size class, when messages are single frames
  size_t out_capacity_ = 0;
  std::vector<uint8_t> recv_buf_;    // one per loop; 256 KiB
  // --deflate: the offer as sent, the parser's inflate window, and where a message is assembled
  // and compressed before it is framed (each sized for the largest message once, at start).
  core::DeflateOffer deflate_offer_;
  std::vector<uint8_t> inflate_window_;
  std::vector<uint8_t> plain_;
  std::vector<uint8_t> packed_;
  std::vector<Conn*> dirty_;
  std::vector<epoll_event> events_;

  Phase phase_ = Phase::Setup;
  uint64_t now_ = 0;                 // clock at the last recv / iteration start
  uint64_t windows_started_ = 0;     // windows this worker has been released into
  uint64_t window_start_ = UINT64_MAX;
  uint64_t window_end_ = UINT64_MAX;
  bool window_open_ = false;         // the measured window has started (window_start_ is valid)
  bool stop_sending_ = false;
  uint64_t drain_deadline_ = 0;
  uint64_t closing_deadline_ = 0;
  size_t next_connect_ = 0;          // set-up: next connection to start
  size_t connects_in_flight_ = 0;
  int64_t budget_left_ = 0;          // this worker's slice of --messages
  size_t dead_ = 0;                  // connections in state Dead
  std::string peer_detail_;          // what the last Close / protocol error said (error path only)

  // Open loop: one schedule per worker, round-robin over its connections.
  std::optional<Schedule> schedule_;
  uint64_t scheduled_ = 0;           // messages of the schedule assigned so far
  size_t rr_ = 0;

  // Closed-loop broadcast sender: lowest message not yet resolved by every live receiver.
  uint64_t bc_complete_ = 0;
  Conn* sender_ = nullptr;

  struct Deadline {
    uint64_t at;
    uint32_t local;
    uint32_t gen;
    bool operator>(const Deadline& o) const noexcept { return at > o.at; }
  };
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;

  struct rusage_snapshot { double user_s = 0, sys_s = 0; } cpu_start_;
  bool cpu_started_ = false;
};

}  // namespace wsalloc::load
