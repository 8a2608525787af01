#pragma once
// Poller: one event loop on one thread (Redis ae style), with timers, tasks and hooks.
//
// One iteration, in this order (run() repeats it until stop()):
//   1. wait      epoll_wait; timeout = 0 if inline tasks are queued, else until the nearest
//                timer (rounded UP to whole ms so it never wakes early and spins), else forever
//   2. dispatch  on_io for each ready fd. An fd unwatched earlier in the same batch (by any
//                handler) is skipped, even if its number was reused by a new watch in the batch:
//                registrations carry a generation, and the event's generation must match.
//                Events are masked by the CURRENT interest (plus kHangup|kError).
//   3. tasks     inline tasks queued so far (work then done, posting order). A task posted while
//                this runs waits for the next iteration: never recursion, never starvation.
//   4. completions  `done`s handed back by other executors (post_completion), in arrival order
//   5. timers    every timer due now
//   6. hooks     on_iteration_end hooks, in registration order (arena resets, freeing closed
//                connections: anything freed here cannot be touched by a pending event)
// Level-triggered (see epoll_backend.hpp): a handler need not drain a socket to EAGAIN.
//
// Threads: everything except stop(), stopping() and post_completion() must be called on the
// thread that runs run() (or before run() starts / after it returns).
//
// Exceptions: one escaping a handler, task, completion, timer or hook leaves run() (the rest of
// that batch of tasks/completions is dropped, never run twice); the Poller stays usable.
//
// Allocation: dispatch allocates nothing. watch() may grow the fd table (amortised, only for a
// new highest fd). Timers, tasks, completions and hooks store std::function (may allocate).
//
// Destruction: pending inline tasks, completions and timers are destroyed unrun. Executors that
// still run work for this poller may finish later: their `done` goes into a closed inbox and is
// destroyed unrun (see completion_inbox.hpp), never into freed memory.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "net/epoll_backend.hpp"
#include "net/io_backend.hpp"
#include "net/io_handler.hpp"
#include "net/timers.hpp"
#include "net/uring_backend.hpp"

namespace wsalloc::net {

class Executor;
class CompletionInbox;

// Declared outside Poller so `Poller(Options = {})` compiles (a nested struct's default member
// initialisers are not usable in a default argument of its enclosing class).
struct PollerOptions {
  size_t recv_buffer_bytes = 512 * 1024;  // the one receive buffer of this loop; must be > 0
  size_t recv_headroom = 16;              // in front: a split frame header (<= 14 B) is copied here
  size_t recv_tailroom = 16;              // behind: word-wide unmasking may read/write past the end
  size_t max_events = 1024;               // ready fds taken per epoll_wait; must be > 0
  // What the loop waits on. Uring: watch/rewatch/unwatch keep their (level-triggered) meaning,
  // and uring() offers completion-based streams and listeners (uring_backend.hpp); the receive
  // buffer above is then unused by connections. Throws std::system_error when io_uring cannot
  // be set up (check probe_uring() first).
  IoBackend io = IoBackend::Epoll;
  UringOptions uring{};
};

class Poller {
 public:
  using Options = PollerOptions;
  using TimerId = Timers::TimerId;  // uint64_t; 0 is never a valid id

  // Creates the epoll fd, the wake-up eventfd, and the receive buffer (allocated once, here).
  // Throws std::invalid_argument for a zero buffer size or max_events, std::system_error naming
  // epoll_create1/eventfd.
  explicit Poller(Options = {});
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // fd interest. interest: kReadable|kWritable (0 = only hang-ups/errors). The handler pointer
  // must outlive the registration. Unwatch BEFORE close(fd). Throws std::system_error from
  // epoll_ctl (watch of an fd already watched: EEXIST; rewatch of an unwatched fd: ENOENT) and
  // std::invalid_argument for fd < 0 or a null handler.
  void watch(int fd, IoHandler* h, uint32_t interest);
  void rewatch(int fd, IoHandler* h, uint32_t interest);
  // Unknown fds are ignored. Safe inside any handler, for its own fd or another one.
  void unwatch(int fd) noexcept;

  // Runs iterations until stop(). stop() is sticky: once called, run() returns after finishing
  // the current iteration (so end-of-iteration hooks still run), and a later run() returns at once.
  void run();
  // Thread-safe and async-signal-safe: sets an atomic flag and writes the eventfd (errno kept).
  void stop() noexcept;
  bool stopping() const noexcept { return stop_requested_.load(std::memory_order_acquire); }

  // The loop's one receive buffer: the usable middle part (recv_buffer_bytes long). Owned by the
  // Poller, never reallocated. Bytes left in it are overwritten by the next read of ANY
  // connection: copy out what must survive the current on_io. recv_buffer().data() -
  // recv_headroom() and data() + size() + tailroom are also writable.
  std::span<uint8_t> recv_buffer() noexcept { return {buf_.get() + headroom_, buf_bytes_}; }
  size_t recv_headroom() const noexcept { return headroom_; }
  size_t recv_tailroom() const noexcept { return tailroom_; }

  // Timers on the monotonic clock; callbacks run in phase 5. A negative delay is 0; an every()
  // period below 1 ms is 1 ms (a 0 period would spin). cancel() of an unknown or finished id is
  // ignored; a cancelled timer never fires, even if already due in this iteration.
  TimerId after(std::chrono::milliseconds delay, std::function<void()> fn);
  TimerId every(std::chrono::milliseconds period, std::function<void()> fn);
  void cancel(TimerId) noexcept;

  // Tasks: `work` runs on the executor's thread; `done` (optional) runs afterwards on THIS
  // poller's thread. ex == nullptr: the default executor (set_default_executor), else inline:
  // work+done in phase 3, in posting order. Throws std::invalid_argument for an empty `work`.
  void task(std::function<void()> work, std::function<void()> done = {}, Executor* ex = nullptr);
  // nullptr = inline. The executor must outlive every task posted through it.
  void set_default_executor(Executor* ex) noexcept { default_executor_ = ex; }

  // Runs in phase 6 of every iteration, in registration order. May be called from a hook (the
  // new hook first runs at the end of the same iteration).
  void on_iteration_end(std::function<void()> fn);

  // Thread-safe: hand `fn` to this poller's thread (phase 4) and wake it. Allocates nothing while
  // no more than reserve_completions() are pending and `fn` fits std::function's small buffer.
  void post_completion(std::function<void()> fn);
  // Room for n pending completions, so that a steady stream of them never grows a vector (which
  // of the two take turns would otherwise depend on timing). Same thread rules as task().
  void reserve_completions(size_t n);

  IoBackend io() const noexcept { return uring_ ? IoBackend::Uring : IoBackend::Epoll; }
  // The io_uring engine when io() == Uring, else null. REQUIRES on uring: run() is always called
  // from the same thread (the ring is bound to the first thread that runs it).
  UringBackend* uring() noexcept { return uring_.get(); }
  const UringBackend* uring() const noexcept { return uring_.get(); }

  // Introspection for tests and stats.
  // System calls the loop made to wait: epoll_wait, or io_uring_enter (which also submits).
  uint64_t kernel_waits() const noexcept { return uring_ ? uring_->enters() : backend_.waits(); }
  size_t watched() const noexcept { return uring_ ? uring_->watched() : watched_; }
  size_t pending_tasks() const noexcept { return inline_queue_.size(); }
  const Timers& timers() const noexcept { return timers_; }

 private:
  friend class InlineExecutor;
  friend class ThreadPoolExecutor;

  struct Task {
    std::function<void()> work;
    std::function<void()> done;
  };
  // One per fd number. generation changes on unwatch, so an event taken from the kernel before
  // the unwatch cannot reach whatever is watched under the same number afterwards.
  struct Slot {
    IoHandler* handler = nullptr;
    uint32_t interest = 0;
    uint32_t generation = 0;
  };
  struct WakeHandler final : IoHandler {
    CompletionInbox* inbox = nullptr;
    void on_io(uint32_t events) override;
  };

  void post_inline(std::function<void()> work, std::function<void()> done);
  const std::shared_ptr<CompletionInbox>& inbox() const noexcept { return inbox_; }

  int next_timeout_ms() noexcept;
  void dispatch(std::span<const EpollBackend::Ready> ready);
  void run_inline_tasks();
  void run_completions();
  void run_iteration_end_hooks();

  EpollBackend backend_;
  std::unique_ptr<UringBackend> uring_;  // set when options.io == Uring; then backend_ is idle
  std::shared_ptr<CompletionInbox> inbox_;
  WakeHandler wake_;
  std::atomic<bool> stop_requested_{false};

  std::vector<Slot> slots_;  // indexed by fd
  size_t watched_ = 0;

  std::unique_ptr<uint8_t[]> buf_;
  size_t buf_bytes_, headroom_, tailroom_;

  Timers timers_;
  std::vector<Task> inline_queue_, inline_running_;  // take turns: no reallocation when steady
  std::vector<std::function<void()>> completions_;
  std::deque<std::function<void()>> hooks_;  // deque: a hook may add one without moving the others
  Executor* default_executor_ = nullptr;
};

}  // namespace wsalloc::net
