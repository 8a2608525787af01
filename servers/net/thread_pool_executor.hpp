#pragma once
// ThreadPoolExecutor: `work` runs on one of N pool threads (FIFO queue); `done` is handed back to
// the origin poller's thread through its completion inbox (mutex + eventfd wake-up), so it runs
// there before any socket is touched.
//
// Shutdown: shutdown() (also run by the destructor) stops accepting tasks, destroys every task
// still queued without running its work or done, waits for the tasks that are running, and joins
// the threads. A running task's `done` is still handed back; if its poller is already gone the
// completion is destroyed unrun (the inbox outlives the Poller; see poller.hpp).
// Exceptions: `work` must not throw (one escaping a pool thread calls std::terminate).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/executor.hpp"

namespace wsalloc::net {

class CompletionInbox;

class ThreadPoolExecutor final : public Executor {
 public:
  // Throws std::invalid_argument for threads == 0, std::system_error if a thread cannot start.
  explicit ThreadPoolExecutor(size_t threads);
  ~ThreadPoolExecutor() override;  // shutdown()
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Thread-safe. Throws std::logic_error after shutdown() (the task would silently vanish).
  void execute(Poller& origin, std::function<void()> work, std::function<void()> done) override;

  // Idempotent, thread-safe. REQUIRES: not called from a pool thread (it joins them).
  void shutdown() noexcept;

  size_t threads() const noexcept { return thread_count_; }
  size_t queued() const;  // accepted, not yet started

 private:
  struct Job {
    std::shared_ptr<CompletionInbox> inbox;  // keeps the way back alive, not the Poller
    std::function<void()> work;
    std::function<void()> done;
  };
  void worker() noexcept;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool closed_ = false;
  size_t thread_count_;
  std::vector<std::thread> threads_;
  std::mutex join_mu_;  // serialises concurrent shutdown() calls around join
};

}  // namespace wsalloc::net
