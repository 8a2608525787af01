#pragma once
// CompletionInbox: the thread-safe way back to a poller's thread (internal to net/).
//
// Ownership: shared by the Poller and every in-flight pool job (shared_ptr), so a pool thread that
// finishes after the Poller is destroyed posts into a closed inbox instead of freed memory.
// The inbox owns the eventfd the Poller watches for wake-ups; it is closed when the last owner
// goes. Posting wakes the poller only on the empty -> non-empty edge: every item posted after a
// take() finds the vector empty and writes, every item posted before it is in that take().

#include <functional>
#include <mutex>
#include <vector>

namespace wsalloc::net {

class CompletionInbox {
 public:
  // Throws std::system_error naming eventfd.
  CompletionInbox();
  ~CompletionInbox();
  CompletionInbox(const CompletionInbox&) = delete;
  CompletionInbox& operator=(const CompletionInbox&) = delete;

  // Thread-safe. After close(), fn is destroyed unrun (outside the lock).
  void post(std::function<void()> fn);
  // Room for n pending items without reallocation (the vector take() swaps in needs it too).
  void reserve(size_t n);
  // Moves everything posted so far into `out` (which must be empty; its capacity is swapped in
  // so the two vectors take turns and neither is reallocated in steady state).
  void take(std::vector<std::function<void()>>& out);
  // Destroys pending items unrun; later posts are dropped. Thread-safe, idempotent.
  void close() noexcept;

  // Async-signal-safe: one write(2) of 1 to the eventfd; preserves errno.
  void wake() const noexcept;
  // Reads the eventfd counter back to 0 (non-blocking; EAGAIN is fine).
  void drain_wakeups() const noexcept;
  int event_fd() const noexcept { return efd_; }

 private:
  int efd_ = -1;
  std::mutex mu_;
  std::vector<std::function<void()>> items_;
  bool closed_ = false;
};

}  // namespace wsalloc::net
