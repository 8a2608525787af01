#include "net/timers.hpp"

#include <algorithm>

namespace wsalloc::net {

// Min-heap through std::*_heap (which build max-heaps): "later" sorts last. Ties go to the lower
// id, so timers with the same deadline fire in creation order.
bool Timers::later(const Entry& a, const Entry& b) noexcept {
  if (a.deadline != b.deadline) return a.deadline > b.deadline;
  return a.id > b.id;
}

Timers::TimerId Timers::add(Clock::time_point deadline, Clock::duration period,
                            std::function<void()> fn) {
  if (period < Clock::duration::zero()) period = Clock::duration::zero();
  TimerId id = next_id_++;
  slots_.emplace(id, Slot{std::move(fn), period});
  heap_.push_back(Entry{deadline, id});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return id;
}

void Timers::cancel(TimerId id) noexcept {
  if (slots_.erase(id) == 0) return;
  // Sweep only when tombstones dominate, so the O(n) pass is amortised over >= n/2 cancels.
  if (heap_.size() > 64 && heap_.size() > 2 * slots_.size()) sweep_tombstones();
}

void Timers::sweep_tombstones() noexcept {
  auto dead = [this](const Entry& e) { return slots_.find(e.id) == slots_.end(); };
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(), dead), heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), later);
}

std::optional<Timers::Clock::time_point> Timers::next_deadline() noexcept {
  while (!heap_.empty() && slots_.find(heap_.front().id) == slots_.end()) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
}

size_t Timers::run_due(Clock::time_point now) {
  // Take the due batch first: whatever the callbacks add or re-arm lands in the heap, not here.
  due_.clear();
  while (!heap_.empty() && heap_.front().deadline <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    due_.push_back(heap_.back());
    heap_.pop_back();
  }

  size_t ran = 0;
  for (const Entry& e : due_) {
    auto it = slots_.find(e.id);
    if (it == slots_.end()) continue;  // cancelled, possibly by an earlier callback of this batch
    // Moved out so that cancel(own id) from inside erases an empty slot, not the running callable.
    std::function<void()> fn = std::move(it->second.fn);
    const Clock::duration period = it->second.period;
    fn();
    ++ran;
    it = slots_.find(e.id);  // re-look-up: fn may have cancelled itself or rehashed the map
    if (it == slots_.end()) continue;
    if (period == Clock::duration::zero()) {
      slots_.erase(it);
      continue;
    }
    it->second.fn = std::move(fn);
    Clock::time_point next = e.deadline + period;
    if (next <= now) next = now + period;  // fell behind: skip missed ticks rather than burst
    heap_.push_back(Entry{next, e.id});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  due_.clear();
  return ran;
}

}  // namespace wsalloc::net
