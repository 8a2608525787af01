#include "net/poller.hpp"

#include <cerrno>
#include <climits>
#include <stdexcept>
#include <string>
#include <system_error>

#include "net/completion_inbox.hpp"
#include "net/executor.hpp"

namespace wsalloc::net {
namespace {

// epoll carries one u64 per registration: the fd and the generation it was watched under.
uint64_t make_token(int fd, uint32_t generation) noexcept {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

const PollerOptions& validated(const PollerOptions& o) {
  if (o.recv_buffer_bytes == 0)
    throw std::invalid_argument("Poller: recv_buffer_bytes 0, must be > 0");
  if (o.max_events == 0 || o.max_events > INT_MAX)
    throw std::invalid_argument("Poller: max_events " + std::to_string(o.max_events) +
                                " outside 1.." + std::to_string(INT_MAX));
  return o;
}

// Clears a batch vector however the batch ends, so a throwing callback cannot leave already-run
// items behind to be run twice.
template <class V>
struct ClearOnExit {
  V& v;
  ~ClearOnExit() { v.clear(); }
};

}  // namespace

static_assert(std::atomic<bool>::is_always_lock_free,
              "stop() stores the flag from signal handlers, which only lock-free atomics allow");

Poller::Poller(Options o)
    : backend_(validated(o).max_events),
      uring_(o.io == IoBackend::Uring ? std::make_unique<UringBackend>(o.uring) : nullptr),
      inbox_(std::make_shared<CompletionInbox>()),
      buf_(std::make_unique_for_overwrite<uint8_t[]>(o.recv_headroom + o.recv_buffer_bytes +
                                                     o.recv_tailroom)),
      buf_bytes_(o.recv_buffer_bytes),
      headroom_(o.recv_headroom),
      tailroom_(o.recv_tailroom) {
  // Room for the usual first few thousand fds, so the accept path rarely grows the table.
  slots_.resize(1024);
  wake_.inbox = inbox_.get();
  watch(inbox_->event_fd(), &wake_, kReadable);
}

Poller::~Poller() {
  // Pool threads may still hold the inbox: from now on their completions are destroyed unrun.
  inbox_->close();
}

void Poller::WakeHandler::on_io(uint32_t) {
  // Only resets the counter; the completions themselves run in phase 4 of every iteration.
  inbox->drain_wakeups();
}

// ---- fd interest -----------------------------------------------------------------------------

void Poller::watch(int fd, IoHandler* h, uint32_t interest) {
  if (uring_) return uring_->watch(fd, h, interest);
  if (fd < 0 || h == nullptr)
    throw std::invalid_argument("Poller::watch(fd=" + std::to_string(fd) +
                                "): needs fd >= 0 and a handler");
  if (static_cast<size_t>(fd) >= slots_.size())
    slots_.resize(std::max(static_cast<size_t>(fd) + 1, slots_.size() * 2));
  Slot& s = slots_[fd];
  if (s.handler != nullptr)
    throw std::system_error(EEXIST, std::generic_category(),
                            "Poller::watch(fd=" + std::to_string(fd) + "): already watched");
  backend_.watch(fd, interest, make_token(fd, s.generation));  // throws: slot left untouched
  s.handler = h;
  s.interest = interest;
  ++watched_;
}

void Poller::rewatch(int fd, IoHandler* h, uint32_t interest) {
  if (uring_) return uring_->rewatch(fd, h, interest);
  if (h == nullptr)
    throw std::invalid_argument("Poller::rewatch(fd=" + std::to_string(fd) + "): null handler");
  if (fd < 0 || static_cast<size_t>(fd) >= slots_.size() || slots_[fd].handler == nullptr)
    throw std::system_error(ENOENT, std::generic_category(),
                            "Poller::rewatch(fd=" + std::to_string(fd) + "): not watched");
  Slot& s = slots_[fd];
  // Same generation: events already taken for this fd are still meant for it (masked by the
  // new interest in dispatch).
  if (s.interest != interest) backend_.rewatch(fd, interest, make_token(fd, s.generation));
  s.handler = h;
  s.interest = interest;
}

void Poller::unwatch(int fd) noexcept {
  if (uring_) return uring_->unwatch(fd);
  if (fd < 0 || static_cast<size_t>(fd) >= slots_.size() || slots_[fd].handler == nullptr) return;
  Slot& s = slots_[fd];
  s.handler = nullptr;
  s.interest = 0;
  ++s.generation;  // events of this batch still carrying the old generation are now stale
  --watched_;
  backend_.unwatch(fd);
}

// ---- the loop --------------------------------------------------------------------------------

void Poller::run() {
  while (!stopping()) {
    if (uring_) {
      uring_->run_once(next_timeout_ms());  // submit, wait and dispatch: one io_uring_enter
    } else {
      dispatch(backend_.wait(next_timeout_ms()));
    }
    run_inline_tasks();
    run_completions();
    timers_.run_due(Timers::Clock::now());
    run_iteration_end_hooks();
  }
}

void Poller::stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  inbox_->wake();
}

int Poller::next_timeout_ms() noexcept {
  if (!inline_queue_.empty()) return 0;
  std::optional<Timers::Clock::time_point> next = timers_.next_deadline();
  if (!next) return -1;
  auto now = Timers::Clock::now();
  if (*next <= now) return 0;
  // Rounded up: rounding down would wake just before the deadline and spin with timeout 0.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

void Poller::dispatch(std::span<const EpollBackend::Ready> ready) {
  for (const EpollBackend::Ready& r : ready) {
    const uint32_t fd = static_cast<uint32_t>(r.token);
    const uint32_t generation = static_cast<uint32_t>(r.token >> 32);
    // Re-looked-up per event: a handler may have unwatched this fd, watched a new one under the
    // same number, or grown the table, since the kernel handed out this batch.
    if (fd >= slots_.size()) continue;
    const Slot& s = slots_[fd];
    if (s.handler == nullptr || s.generation != generation) continue;
    const uint32_t events = r.events & (s.interest | kHangup | kError);
    if (events == 0) continue;
    s.handler->on_io(events);  // `s` may dangle from here on (table growth); not used again
  }
}

void Poller::run_inline_tasks() {
  if (inline_queue_.empty()) return;
  // Tasks posted from these tasks land in the (now empty) queue and run next iteration.
  inline_running_.swap(inline_queue_);
  ClearOnExit<std::vector<Task>> clear{inline_running_};
  for (Task& t : inline_running_) {
    if (t.work) t.work();
    if (t.done) t.done();
  }
}

void Poller::reserve_completions(size_t n) {
  completions_.reserve(n);
  inbox_->reserve(n);
}

void Poller::run_completions() {
  inbox_->take(completions_);
  ClearOnExit<std::vector<std::function<void()>>> clear{completions_};
  for (std::function<void()>& fn : completions_) fn();
}

void Poller::run_iteration_end_hooks() {
  // By index: a hook may register another one (deque keeps the running one in place).
  for (size_t i = 0; i < hooks_.size(); ++i) hooks_[i]();
}

// ---- timers, tasks, hooks, completions --------------------------------------------------------

Poller::TimerId Poller::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (delay < std::chrono::milliseconds::zero()) delay = std::chrono::milliseconds::zero();
  return timers_.add(Timers::Clock::now() + delay, Timers::Clock::duration::zero(), std::move(fn));
}

Poller::TimerId Poller::every(std::chrono::milliseconds period, std::function<void()> fn) {
  if (period < std::chrono::milliseconds(1)) period = std::chrono::milliseconds(1);
  return timers_.add(Timers::Clock::now() + period, period, std::move(fn));
}

void Poller::cancel(TimerId id) noexcept { timers_.cancel(id); }

void Poller::task(std::function<void()> work, std::function<void()> done, Executor* ex) {
  if (!work) throw std::invalid_argument("Poller::task: empty work");
  Executor* chosen = ex != nullptr ? ex : default_executor_;
  if (chosen == nullptr) {
    post_inline(std::move(work), std::move(done));
    return;
  }
  chosen->execute(*this, std::move(work), std::move(done));
}

void Poller::post_inline(std::function<void()> work, std::function<void()> done) {
  inline_queue_.push_back(Task{std::move(work), std::move(done)});
}

void Poller::on_iteration_end(std::function<void()> fn) {
  if (fn) hooks_.push_back(std::move(fn));
}

void Poller::post_completion(std::function<void()> fn) {
  if (fn) inbox_->post(std::move(fn));
}

}  // namespace wsalloc::net
