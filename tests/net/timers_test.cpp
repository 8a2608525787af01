#include "net/timers.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;
using Clock = Timers::Clock;

// Deterministic: the tests pass explicit time points, no sleeping.
const Clock::time_point t0 = Clock::time_point{} + 1h;

TEST(Timers, one_shot_fires_once_when_due_and_not_before) {
  Timers t;
  int fired = 0;
  t.add(t0 + 10ms, 0ms, [&] { ++fired; });
  EXPECT_EQ(t.run_due(t0 + 9ms), 0u);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(t.run_due(t0 + 10ms), 1u);
  EXPECT_EQ(t.run_due(t0 + 1h), 0u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(t.live(), 0u);
}

TEST(Timers, cancelled_timer_never_fires) {
  Timers t;
  int fired = 0;
  auto id = t.add(t0, 0ms, [&] { ++fired; });
  t.cancel(id);
  EXPECT_EQ(t.run_due(t0 + 1h), 0u);
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(t.next_deadline().has_value());
}

TEST(Timers, cancel_from_an_earlier_callback_of_the_same_batch_prevents_the_later_one) {
  Timers t;
  std::vector<std::string> log;
  Timers::TimerId second = 0;
  t.add(t0 + 1ms, 0ms, [&] {
    log.push_back("first");
    t.cancel(second);
  });
  second = t.add(t0 + 2ms, 0ms, [&] { log.push_back("second"); });
  t.run_due(t0 + 5ms);
  EXPECT_EQ(log, std::vector<std::string>{"first"});
}

TEST(Timers, same_deadline_fires_in_creation_order) {
  Timers t;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) t.add(t0, 0ms, [&order, i] { order.push_back(i); });
  t.run_due(t0);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(Timers, earlier_deadline_fires_first_regardless_of_creation_order) {
  Timers t;
  std::vector<int> order;
  t.add(t0 + 3ms, 0ms, [&] { order.push_back(3); });
  t.add(t0 + 1ms, 0ms, [&] { order.push_back(1); });
  t.add(t0 + 2ms, 0ms, [&] { order.push_back(2); });
  t.run_due(t0 + 3ms);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Timers, periodic_timer_rearms_and_skips_missed_ticks) {
  Timers t;
  int fired = 0;
  t.add(t0 + 10ms, 10ms, [&] { ++fired; });
  t.run_due(t0 + 10ms);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(t.next_deadline(), t0 + 20ms);
  t.run_due(t0 + 55ms);  // late by 3+ periods: one call, no burst of catch-up calls
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(t.next_deadline(), t0 + 65ms);
}

TEST(Timers, periodic_timer_can_cancel_itself_from_its_callback) {
  Timers t;
  int fired = 0;
  Timers::TimerId id = 0;
  id = t.add(t0 + 1ms, 1ms, [&] {
    if (++fired == 3) t.cancel(id);
  });
  for (int ms = 1; ms <= 10; ++ms) t.run_due(t0 + std::chrono::milliseconds(ms));
  EXPECT_EQ(fired, 3);
  EXPECT_EQ(t.live(), 0u);
}

TEST(Timers, timer_added_by_a_callback_runs_in_a_later_call_even_if_already_due) {
  Timers t;
  int inner = 0;
  t.add(t0, 0ms, [&] { t.add(t0, 0ms, [&] { ++inner; }); });
  EXPECT_EQ(t.run_due(t0), 1u);
  EXPECT_EQ(inner, 0);
  EXPECT_EQ(t.run_due(t0), 1u);
  EXPECT_EQ(inner, 1);
}

TEST(Timers, tiny_period_fires_once_per_run_due_call_and_cannot_spin) {
  Timers t;
  int fired = 0;
  t.add(t0, 0ns + Clock::duration(1), [&] { ++fired; });  // tiniest period
  t.run_due(t0 + 1s);
  EXPECT_EQ(fired, 1);
}

TEST(Timers, next_deadline_skips_cancelled_timers) {
  Timers t;
  auto a = t.add(t0 + 1ms, 0ms, [] {});
  t.add(t0 + 5ms, 0ms, [] {});
  EXPECT_EQ(t.next_deadline(), t0 + 1ms);
  t.cancel(a);
  EXPECT_EQ(t.next_deadline(), t0 + 5ms);
}

TEST(Timers, cancel_of_unknown_or_fired_id_is_ignored) {
  Timers t;
  auto a = t.add(t0, 0ms, [] {});
  t.run_due(t0);
  t.cancel(a);
  t.cancel(0);
  t.cancel(987654);
  EXPECT_EQ(t.live(), 0u);
}

TEST(Timers, tombstones_are_swept_when_they_outnumber_live_timers) {
  Timers t;
  std::vector<Timers::TimerId> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(t.add(t0 + 1h, 0ms, [] {}));
  for (int i = 0; i < 999; ++i) t.cancel(ids[i]);
  EXPECT_EQ(t.live(), 1u);
  EXPECT_LE(t.heap_entries(), 130u) << "re-arming idle timers must not grow the heap unbounded";
  int fired = 0;
  t.cancel(ids[999]);
  t.add(t0, 0ms, [&] { ++fired; });
  t.run_due(t0 + 2h);
  EXPECT_EQ(fired, 1);
}

TEST(Timers, callback_destroyed_after_one_shot_fires) {
  Timers t;
  auto token = std::make_shared<int>(0);
  t.add(t0, 0ms, [token] {});
  EXPECT_EQ(token.use_count(), 2);
  t.run_due(t0);
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace wsalloc::net
