#pragma once
// Timers: a min-heap of deadlines on the monotonic clock, cancelled lazily.
//
// Lifetime: a one-shot timer's callback is destroyed after it ran or when cancelled; a periodic
// one lives until cancel(). Not thread-safe: the owning Poller's thread only.
// Cost: add/fire O(log n); cancel is O(1) (the heap entry stays as a tombstone and is skipped
// when it surfaces); tombstones are swept in one O(n) pass when they outnumber live timers, so
// a connection that re-arms its idle timer on every message cannot grow the heap without bound.
// Timers are not on the per-message path: add() allocates (std::function, the map node).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

namespace wsalloc::net {

class Timers {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = uint64_t;  // 0 is never a valid id

  // period == 0: one-shot at `deadline`. period > 0: first at `deadline`, then every `period`;
  // a tick that is late by more than a period is skipped, not bursted.
  TimerId add(Clock::time_point deadline, Clock::duration period, std::function<void()> fn);
  // Unknown, already-fired or already-cancelled ids are ignored. Safe from inside any callback,
  // including the timer's own: a cancelled timer never runs again, even if it is due in the
  // batch being run.
  void cancel(TimerId id) noexcept;

  // Earliest live deadline; nullopt when no timer is live. Drops tombstones from the top.
  std::optional<Clock::time_point> next_deadline() noexcept;
  // Runs every timer due at `now` (deadline <= now) in (deadline, id) order. Timers added or
  // re-armed by a callback run in a later call, never in this one, so a period of 0 or a
  // callback adding an already-due timer cannot spin here. Returns how many callbacks ran.
  // REQUIRES: not called re-entrantly from a callback.
  size_t run_due(Clock::time_point now);

  size_t live() const noexcept { return slots_.size(); }
  size_t heap_entries() const noexcept { return heap_.size(); }  // live + tombstones (tests)

 private:
  struct Entry {
    Clock::time_point deadline;
    TimerId id;
  };
  struct Slot {
    std::function<void()> fn;  // empty while it runs (moved out, so cancel() cannot destroy it)
    Clock::duration period;
  };
  static bool later(const Entry& a, const Entry& b) noexcept;
  void sweep_tombstones() noexcept;

  std::vector<Entry> heap_;  // std::push_heap/pop_heap with later(): front is the earliest
  std::vector<Entry> due_;   // scratch for run_due, reused
  std::unordered_map<TimerId, Slot> slots_;  // live timers; absence = cancelled or done
  TimerId next_id_ = 1;
};

}  // namespace wsalloc::net
