#pragma once
// connection_budget.hpp: the server-wide cap on open connections (--max-connections), shared by
// every worker thread. Touched only on accept and close, never per message, so one relaxed atomic
// is enough: the cap is a resource bound, not a synchronisation point.
#include <atomic>
#include <cstddef>

namespace wsalloc::variants {

class ConnectionBudget {
 public:
  explicit ConnectionBudget(size_t limit) noexcept : limit_(limit) {}  // 0 = no cap
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  // Claims one connection; false when the cap is reached (the caller refuses the connection).
  bool try_take() noexcept {
    size_t open = open_.load(std::memory_order_relaxed);
    do {
      if (limit_ != 0 && open >= limit_) return false;
    } while (!open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
    return true;
  }
  void give_back() noexcept { open_.fetch_sub(1, std::memory_order_relaxed); }

  size_t open() const noexcept { return open_.load(std::memory_order_relaxed); }
  size_t limit() const noexcept { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> open_{0};
};

}  // namespace wsalloc::variants
