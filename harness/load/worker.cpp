// Worker: the loop, the phases, the open-loop schedule and the deadlines. Socket work is in
// worker_io.cpp, verification and accounting in worker_frames.cpp.
#include "load/worker.hpp"

#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "core/extension_list.hpp"
#include "load/frame_builder.hpp"
#include "process/cpu_time.hpp"

namespace wsalloc::load {

namespace {

constexpr uint64_t kWakeToken = UINT64_MAX;
constexpr size_t kRecvBufferBytes = 256 * 1024;   // one per loop: a 64 KiB echo plus its neighbours per recv
constexpr size_t kMaxEvents = 512;
constexpr size_t kConnectsInFlight = 256;         // per worker during set-up: stays under listen backlogs
constexpr uint64_t kMaxSleepNs = 100'000'000;     // re-check flags at least every 100 ms
constexpr uint64_t kCloseGraceNs = 1'000'000'000; // final Close handshake
constexpr size_t kMinOutBuffer = 4096;            // the upgrade request and a few control frames
constexpr size_t kMaxOutBuffer = 256 * 1024;
constexpr size_t kControlSlack = 256;             // room for a Pong/Close behind a full message

using process::seconds;

std::string fmt_missing(uint64_t n, uint32_t id) {
  return std::to_string(n) + " message(s) sent on connection #" + std::to_string(id) + " never came back before the drain ended";
}

}  // namespace

uint64_t mono_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

Worker::Worker(SharedState& shared, size_t index, uint64_t seed)
    : sh_(shared), cfg_(shared.cfg), cat_(shared.catalogue), index_(index), rng_(seed) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  evfd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev) != 0) throw std::system_error(errno, std::generic_category(), "epoll_ctl(ADD eventfd)");

  if (cfg_.deflate()) {
    // Validated by parse_command_line; parsed again here into the form the response is checked against.
    const core::ExtensionElement e = core::parse_extension_element(cfg_.deflate_offer);
    core::parse_deflate_offer(e.params, deflate_offer_);
    inflate_window_.resize(64 * 1024);
    plain_.resize(cat_.max_size());
    packed_.resize(core::MessageDeflater::bound(cat_.max_size()));
  }
  size_t max_wire = 0;
  for (uint32_t cls = 0; cls < cat_.classes(); ++cls) {
    const size_t w = cfg_.mode == Mode::Raw ? cat_.size(cls) : message_wire_bytes(cat_.size(cls), cfg_.fragments);
    wire_bytes_.push_back(w);
    // Compressed, a message may come out a little larger than it went in: room for the bound.
    const size_t room = cfg_.deflate() ? message_wire_bytes(core::MessageDeflater::bound(cat_.size(cls)), cfg_.fragments) : w;
    room_bytes_.push_back(room);
    max_wire = std::max(max_wire, room);
    headers_.emplace_back(is_text(cfg_.kind) ? core::Opcode::Text : core::Opcode::Binary, cat_.size(cls));
  }
  // Enough for a pipeline's worth of small messages in one send(), capped so 10k connections stay
  // cheap; never less than one whole message plus a control frame (the build loop relies on it).
  const size_t batch = cfg_.open_loop() ? 8 : cfg_.pipeline;
  out_capacity_ = cfg_.mode == Mode::Idle ? kMinOutBuffer : std::clamp(max_wire * batch + kControlSlack, kMinOutBuffer, kMaxOutBuffer);
  // + kMaxFrameHeader: a prebuilt header is copied whole (14 B) even when it is shorter.
  if (cfg_.mode != Mode::Idle) out_capacity_ = std::max(out_capacity_, max_wire + kControlSlack + core::kMaxFrameHeader);
  recv_buf_.resize(kRecvBufferBytes);
  events_.resize(kMaxEvents);
}

Worker::~Worker() {
  for (auto& c : conns_) {
    if (c->fd >= 0) ::close(c->fd);
  }
  if (evfd_ >= 0) ::close(evfd_);
  if (epfd_ >= 0) ::close(epfd_);
}

void Worker::add_connection(uint32_t id, ConnRole role) {
  // Echo connections enter the size mix at different points, so a mix does not send every
  // connection's large message at the same moment; broadcast messages all use offset 0.
  const uint32_t offset = role == ConnRole::Echo ? static_cast<uint32_t>((uint64_t{id} * 7919) % kMixSlots) : 0;
  auto c = std::make_unique<Conn>(this, id, static_cast<uint32_t>(conns_.size()), role, cat_, offset);
  c->queue = InFlightQueue(cfg_.open_loop() ? 64 : cfg_.pipeline);
  c->out = WriteBuffer(out_capacity_);
  if (role == ConnRole::BroadcastSender) sender_ = c.get();
  if (role == ConnRole::BroadcastReceiver && cat_.tag().tagged()) c->foreign_next.assign(cat_.tag().count, Conn::kNotSeen);
  conns_.push_back(std::move(c));
}

void Worker::wake() noexcept {
  const uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(evfd_, &one, sizeof one);
}

void Worker::note_error(const std::string& what) {
  if (first_errors.size() >= 8) return;
  if (std::find(first_errors.begin(), first_errors.end(), what) == first_errors.end()) first_errors.push_back(what);
}

void Worker::mark_dirty(Conn& c) noexcept {
  if (c.dirty) return;
  c.dirty = true;
  dirty_.push_back(&c);
}

void Worker::publish_live() noexcept {
  live_messages.store(counters.messages, std::memory_order_relaxed);
  live_errors.store(counters.errors.total(), std::memory_order_relaxed);
  live_handshakes.store(counters.handshakes, std::memory_order_relaxed);
}

void Worker::snapshot_cpu_start() noexcept {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  cpu_start_ = {seconds(ru.ru_utime), seconds(ru.ru_stime)};
  cpu_started_ = true;
}

void Worker::snapshot_cpu_end() noexcept {
  if (!cpu_started_) return;
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  cpu = {seconds(ru.ru_utime) - cpu_start_.user_s, seconds(ru.ru_stime) - cpu_start_.sys_s};
  cpu_started_ = false;
}

// ------------------------------------------------------------------------------------ the loop

void Worker::run() noexcept {
  // Open loop: the default 50 us timer slack would smear the schedule; 1 ns asks for precision.
  if (cfg_.open_loop()) prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  try {
    while (phase_ != Phase::Done) {
      now_ = mono_ns();
      if (sh_.abort.load(std::memory_order_relaxed)) break;
      advance_phase(now_);
      if (phase_ == Phase::Done) break;
      if (schedule_ && sending_allowed()) schedule_open_loop(now_);
      if (sender_ && !cfg_.open_loop()) broadcast_check_window();
      // pump() never adds to dirty_ (only callbacks and the schedule do), so the list is stable.
      for (size_t i = 0; i < dirty_.size(); ++i) {
        Conn& c = *dirty_[i];
        c.dirty = false;
        pump(c);
      }
      dirty_.clear();
      expire_deadlines(now_);
      publish_live();
      const uint64_t wake_at = next_wakeup(now_);
      wait_events(wake_at > now_ ? wake_at - now_ : 0);
    }
  } catch (const std::exception& e) {
    // Only the setup-time allocations (queue growth, error strings) can throw; a worker that
    // cannot continue reports it instead of taking the process down.
    note_error(std::string("worker stopped: ") + e.what());
  }
  if (phase_ == Phase::Sending || phase_ == Phase::Drain) snapshot_cpu_end();
  for (auto& c : conns_) {
    if (c->state == ConnState::Open || c->state == ConnState::Closing) {
      counters.errors.missing += c->queue.written();
      counters.unsent += c->queue.pending();
      c->queue.clear();
    }
    close_socket(*c);
  }
  if (sender_) sh_.broadcast.sending_done.store(true, std::memory_order_release);
  publish_live();
  finished.store(true, std::memory_order_release);
}

bool Worker::all_settled() const noexcept {
  for (const auto& c : conns_) {
    if (c->state != ConnState::Open && c->state != ConnState::Dead) return false;
  }
  return true;
}

bool Worker::queues_empty() const noexcept {
  for (const auto& c : conns_) {
    if (c->state == ConnState::Dead) continue;
    if (!c->queue.empty()) return false;
    if (c->role == ConnRole::BroadcastReceiver) {
      if (!sh_.broadcast.sending_done.load(std::memory_order_acquire)) return false;
      if (c->state == ConnState::Open && c->next_seq < sh_.broadcast.sent.load(std::memory_order_acquire)) return false;
    }
  }
  return true;
}

void Worker::start_next_connects(uint64_t now) noexcept {
  size_t in_flight = 0;
  for (size_t i = 0; i < next_connect_; ++i) {
    const auto s = conns_[i]->state;
    if (s == ConnState::Connecting || s == ConnState::Handshaking) ++in_flight;
  }
  while (next_connect_ < conns_.size() && in_flight < kConnectsInFlight) {
    start_connect(*conns_[next_connect_++], now);
    ++in_flight;
  }
}

void Worker::advance_phase(uint64_t now) noexcept {
  auto& bc = sh_.broadcast;
  switch (phase_) {
    case Phase::Setup:
      start_next_connects(now);
      if (next_connect_ < conns_.size() || !all_settled()) return;
      for (auto& c : conns_) established += c->state == ConnState::Open;
      sender_established = sender_ && sender_->state == ConnState::Open;
      setup_end_ns = now;
      phase_ = Phase::WaitStart;
      sh_.setup_done.fetch_add(1, std::memory_order_acq_rel);
      [[fallthrough]];
    case Phase::WaitStart: {
      if (sh_.windows_released.load(std::memory_order_acquire) <= windows_started_) return;
      ++windows_started_;
      const uint64_t start = sh_.start_ns.load(std::memory_order_relaxed);
      window_start_ = sh_.window_start_ns;
      window_end_ = sh_.window_end_ns;
      phase_ = Phase::Sending;
      size_t senders = 0;
      for (auto& c : conns_) senders += c->role != ConnRole::BroadcastReceiver;
      if (cfg_.open_loop() && senders > 0 && cfg_.mode != Mode::Idle) {
        // Broadcast: the one sender carries the whole rate. Echo: this worker's share.
        const size_t total = cfg_.mode == Mode::Broadcast ? 1 : cfg_.connections;
        schedule_.emplace(start + thread_phase_ns(cfg_.rate, index_), thread_rate(cfg_.rate, senders, total));
      }
      for (auto& c : conns_) {
        if (c->state == ConnState::Open) mark_dirty(*c);
      }
      [[fallthrough]];
    }
    case Phase::Sending: {
      if (!window_open_ && now >= window_start_) {
        window_open_ = true;
        snapshot_cpu_start();
      }
      bool stop = stop_sending_ || now >= window_end_ || sh_.stop.load(std::memory_order_relaxed);
      if (cfg_.mode == Mode::Broadcast && !sender_) stop = stop || bc.sending_done.load(std::memory_order_acquire);
      // Nothing left to send on: every connection of this worker is gone.
      if (cfg_.mode != Mode::Idle && cfg_.mode != Mode::Broadcast) stop = stop || dead_ == conns_.size();
      if (sender_ && sender_->state == ConnState::Dead) stop = true;
      if (!stop) return;
      begin_drain(now);
      // Judged at once: open loop between two sends, nothing is in flight and no event would come
      // to end the drain before the loop's next timeout (kMaxSleepNs, 100 ms a window).
      [[fallthrough]];
    }
    case Phase::Drain: {
      if (sender_ && sender_->queue.pending() == 0) bc.sending_done.store(true, std::memory_order_release);
      const bool drained = queues_empty();
      if (drained) drained_ns = now;
      if (drained && cfg_.hold && !sh_.stop.load(std::memory_order_relaxed) && !sh_.abort.load(std::memory_order_relaxed)) {
        enter_held();
      } else if (drained || now >= drain_deadline_ || sh_.abort.load(std::memory_order_relaxed)) {
        begin_closing(now);
      }
      return;
    }
    case Phase::Held:
      if (sh_.end_hold.load(std::memory_order_acquire) || sh_.stop.load(std::memory_order_relaxed)) {
        begin_closing(now);
      } else if (sh_.windows_released.load(std::memory_order_acquire) > windows_started_) {
        leave_held();
        advance_phase(now);  // WaitStart: into the next window at once
      }
      return;
    case Phase::Closing: {
      bool waiting = false;
      for (auto& c : conns_) waiting = waiting || c->state == ConnState::Closing;
      if (!waiting || now >= closing_deadline_) phase_ = Phase::Done;
      return;
    }
    case Phase::Done:
      return;
  }
}

void Worker::begin_drain(uint64_t now) noexcept {
  phase_ = Phase::Drain;
  stop_sending_ = true;
  send_stop_ns = window_open_ ? now : 0;
  snapshot_cpu_end();
  drain_deadline_ = now + static_cast<uint64_t>(cfg_.drain_s * 1e9);
  // Open loop: a message scheduled before the stop but not yet written still goes out in the drain.
  if (sender_ && sender_->queue.pending() == 0) sh_.broadcast.sending_done.store(true, std::memory_order_release);
}

void Worker::enter_held() noexcept {
  // Swapped, not copied: after the first window the histograms' storage is reused, nothing allocated.
  std::swap(window.counters, counters);
  std::swap(window.latency, latency);
  std::swap(window.handshake_latency, handshake_latency);
  std::swap(window.first_errors, first_errors);
  window.cpu = cpu;
  window.send_stop_ns = send_stop_ns;
  window.drained_ns = drained_ns;
  counters = Counters{};
  latency.reset();
  handshake_latency.reset();
  first_errors.clear();
  cpu = CpuTimes{};
  send_stop_ns = 0;
  drained_ns = 0;
  phase_ = Phase::Held;
  sh_.held.fetch_add(1, std::memory_order_release);
}

void Worker::leave_held() noexcept {
  window_open_ = false;
  stop_sending_ = false;
  window_start_ = window_end_ = UINT64_MAX;
  schedule_.reset();
  scheduled_ = 0;
  budget_left_ = 0;
  phase_ = Phase::WaitStart;
}

void Worker::begin_closing(uint64_t now) noexcept {
  auto& bc = sh_.broadcast;
  const uint64_t bc_sent = bc.sent.load(std::memory_order_acquire);
  for (auto& cp : conns_) {
    Conn& c = *cp;
    // Whatever is still outstanding now will never be counted as echoed.
    counters.errors.missing += c.queue.written();
    counters.unsent += c.queue.pending();
    if (c.queue.written() > 0) note_error(fmt_missing(c.queue.written(), c.id));
    c.queue.clear();
    if (c.role == ConnRole::BroadcastReceiver && c.state == ConnState::Open && c.next_seq < bc_sent) {
      counters.errors.missing += bc_sent - c.next_seq;
      note_error(fmt_missing(bc_sent - c.next_seq, c.id));
      c.next_seq = bc_sent;
    }
    if (c.state == ConnState::Open) {
      start_close(c, now);
    } else if (c.state != ConnState::Closing && c.state != ConnState::Dead) {
      close_socket(c);
      set_dead(c);
    }
  }
  if (sender_) bc.sending_done.store(true, std::memory_order_release);
  closing_deadline_ = now + kCloseGraceNs;
  phase_ = Phase::Closing;
}

// -------------------------------------------------------------------------------- scheduling

bool Worker::take_budget() noexcept {
  if (!sh_.budget_limited || !window_open_) return true;  // warm-up sends are not part of --messages
  if (budget_left_ == 0) {
    const int64_t before = sh_.budget.fetch_sub(SharedState::kBudgetSlice, std::memory_order_relaxed);
    if (before <= 0) {
      stop_sending_ = true;
      return false;
    }
    budget_left_ = std::min(before, SharedState::kBudgetSlice);
  }
  --budget_left_;
  return true;
}

void Worker::schedule_open_loop(uint64_t now) noexcept {
  // Per-connection queue limit: 65536 entries (1 MiB) of backlog. Beyond it the schedule is
  // fiction; the overflow is counted as client_backlog rather than queued without bound.
  constexpr size_t kMaxQueue = 65536;
  const uint64_t due = schedule_->due_by(now);
  while (scheduled_ < due) {
    Conn* c = nullptr;
    for (size_t tries = 0; tries < conns_.size(); ++tries) {
      Conn* cand = conns_[rr_].get();
      rr_ = rr_ + 1 == conns_.size() ? 0 : rr_ + 1;
      if (cand->role != ConnRole::BroadcastReceiver && cand->state != ConnState::Dead) {
        c = cand;
        break;
      }
    }
    if (c == nullptr) {  // no connection left to send on
      stop_sending_ = true;
      return;
    }
    if (!take_budget()) return;
    const uint64_t intended = schedule_->due_time(scheduled_++);
    if (c->queue.size() >= kMaxQueue) {
      if (counters.errors.client_backlog++ == 0) {
        note_error("open loop: connection #" + std::to_string(c->id) + " has 65536 messages queued; wsload cannot keep the schedule");
      }
      continue;
    }
    c->queue.push({c->next_seq++, intended});
    mark_dirty(*c);
  }
}

// ------------------------------------------------------------------------------- deadlines

void Worker::set_deadline(Conn& c, uint64_t at) noexcept {
  c.deadline_ns = at;
  deadlines_.push({at, c.local, c.gen});
}

void Worker::expire_deadlines(uint64_t now) noexcept {
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const Deadline d = deadlines_.top();
    deadlines_.pop();
    Conn& c = *conns_[d.local];
    if (c.gen != d.gen || c.deadline_ns != d.at) continue;  // superseded
    c.deadline_ns = 0;
    auto ms = [&] { return std::to_string(static_cast<uint64_t>(cfg_.connect_timeout_s * 1000)) + " ms"; };
    switch (c.state) {
      case ConnState::Connecting:
        fail(c, Failure::Connect, "connect to " + endpoint() + " timed out after " + ms());
        break;
      case ConnState::Handshaking:
        fail(c, Failure::Handshake, "no handshake response from " + endpoint() + " within " + ms());
        break;
      case ConnState::Closing:
        close_socket(c);
        after_session(c);
        break;
      case ConnState::Backoff:
        start_connect(c, now);
        break;
      default:
        break;
    }
  }
}

uint64_t Worker::next_wakeup(uint64_t now) const noexcept {
  if (!dirty_.empty()) return now;
  uint64_t at = now + kMaxSleepNs;
  if (!deadlines_.empty()) at = std::min(at, deadlines_.top().at);
  switch (phase_) {
    case Phase::Sending:
      if (!window_open_) at = std::min(at, window_start_);
      at = std::min(at, window_end_);
      if (schedule_ && sending_allowed()) at = std::min(at, schedule_->due_time(scheduled_));
      break;
    case Phase::Drain: at = std::min(at, drain_deadline_); break;
    case Phase::Closing: at = std::min(at, closing_deadline_); break;
    default: break;
  }
  return at;
}

void Worker::wait_events(uint64_t timeout_ns) noexcept {
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000ULL), static_cast<long>(timeout_ns % 1'000'000'000ULL)};
  // Cleared once if the kernel lacks epoll_pwait2 (< 5.11); then the timeout rounds up to 1 ms.
  static std::atomic<bool> have_pwait2{true};
  int n = -1;
  if (have_pwait2.load(std::memory_order_relaxed)) {
    n = epoll_pwait2(epfd_, events_.data(), static_cast<int>(events_.size()), &ts, nullptr);
    if (n < 0 && errno == ENOSYS) have_pwait2.store(false, std::memory_order_relaxed);
  }
  if (!have_pwait2.load(std::memory_order_relaxed)) {
    n = epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), static_cast<int>((timeout_ns + 999'999) / 1'000'000));
  }
  if (n < 0) {
    if (errno == EINTR) return;
    note_error(std::string("epoll_wait: ") + std::strerror(errno));
    sh_.abort.store(true);
    return;
  }
  for (int i = 0; i < n; ++i) dispatch(events_[static_cast<size_t>(i)]);
}

void Worker::dispatch(const epoll_event& ev) noexcept {
  if (ev.data.u64 == kWakeToken) {
    uint64_t v;
    [[maybe_unused]] auto r = ::read(evfd_, &v, sizeof v);
    return;
  }
  // A worker still waiting for the start may already get traffic (a broadcast receiver whose
  // sender's worker was released first): pick up the timeline before counting anything.
  if (phase_ == Phase::WaitStart || phase_ == Phase::Held) advance_phase(now_);
  const auto local = static_cast<uint32_t>(ev.data.u64);
  const auto gen = static_cast<uint32_t>(ev.data.u64 >> 32);
  Conn& c = *conns_[local];
  // Re-looked-up after every step: a callback may have closed (or even reopened) the socket.
  auto same = [&] { return c.gen == gen && c.fd >= 0; };
  if (!same()) return;
  const uint32_t e = ev.events;
  if (c.state == ConnState::Connecting) {
    if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connect_ready(c, mono_ns());
    return;
  }
  if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    on_readable(c);
    if (!same()) return;
  }
  if ((e & EPOLLOUT) && c.blocked) {
    flush(c);
    if (!same()) return;
    if (!c.blocked) pump(c);
  }
}

// ------------------------------------------------------------------------ broadcast window

void Worker::broadcast_check_window() noexcept {
  auto& bc = sh_.broadcast;
  if (!sender_ || sender_->state != ConnState::Open || !sending_allowed()) return;
  auto advance = [&] {
    const uint64_t sent = bc.sent.load(std::memory_order_acquire);
    const uint32_t live = bc.receivers_live.load(std::memory_order_acquire);
    while (bc_complete_ < sent && bc.ring[bc_complete_ % BroadcastState::kRing].acks.load(std::memory_order_acquire) >= live) {
      ++bc_complete_;
    }
  };
  advance();
  if (sender_->next_seq < bc_complete_ + cfg_.pipeline) {
    mark_dirty(*sender_);
    return;
  }
  // Window full: ask to be woken, then look again so a completion that raced the flag is not lost.
  bc.sender_waiting.store(true, std::memory_order_seq_cst);
  advance();
  if (sender_->next_seq < bc_complete_ + cfg_.pipeline) {
    bc.sender_waiting.store(false, std::memory_order_relaxed);
    mark_dirty(*sender_);
  }
}

}  // namespace wsalloc::load
