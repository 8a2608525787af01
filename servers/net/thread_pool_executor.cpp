#include "net/thread_pool_executor.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "net/completion_inbox.hpp"
#include "net/poller.hpp"

namespace wsalloc::net {

ThreadPoolExecutor::ThreadPoolExecutor(size_t threads) : thread_count_(threads) {
  if (threads == 0) throw std::invalid_argument("ThreadPoolExecutor(threads=0): need at least 1");
  threads_.reserve(threads);
  try {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker(); });
  } catch (...) {
    shutdown();  // join the ones that did start
    throw;
  }
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(); }

void ThreadPoolExecutor::execute(Poller& origin, std::function<void()> work,
                                 std::function<void()> done) {
  if (!work) throw std::invalid_argument("ThreadPoolExecutor::execute: empty work");
  {
    std::lock_guard lock(mu_);
    if (closed_) throw std::logic_error("ThreadPoolExecutor::execute after shutdown()");
    queue_.push_back(Job{origin.inbox(), std::move(work), std::move(done)});
  }
  cv_.notify_one();
}

void ThreadPoolExecutor::worker() noexcept {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return closed_ || !queue_.empty(); });
      if (closed_) return;  // shutdown() owns whatever is still queued
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job.work();
    if (job.done) job.inbox->post(std::move(job.done));
  }
}

void ThreadPoolExecutor::shutdown() noexcept {
  std::deque<Job> doomed;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    doomed.swap(queue_);
  }
  cv_.notify_all();
  doomed.clear();  // queued-not-started tasks die here, outside the lock, never run

  std::lock_guard lock(join_mu_);
  for (std::thread& t : threads_) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id()) {
      std::fprintf(stderr, "wsalloc: ThreadPoolExecutor::shutdown() called from a pool thread\n");
      std::abort();
    }
    t.join();
  }
}

size_t ThreadPoolExecutor::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace wsalloc::net
