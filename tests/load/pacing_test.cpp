#include "load/pacing.hpp"

#include <gtest/gtest.h>

#include <random>

namespace wsalloc::load {
namespace {

TEST(Pacing, due_times_follow_the_rate_without_drift) {
  const Schedule s(1000, 3.0);  // 333,333,333.33 ns apart
  EXPECT_EQ(s.due_time(0), 1000u);
  EXPECT_EQ(s.due_time(1), 1000u + 333'333'333u);
  EXPECT_EQ(s.due_time(3), 1000u + 1'000'000'000u);
  // After 3 billion messages (a billion seconds) the schedule is still exact to the nanosecond.
  EXPECT_EQ(s.due_time(3'000'000'000ULL), 1000u + 1'000'000'000'000'000'000ULL);
}

TEST(Pacing, due_by_agrees_with_due_time_at_every_boundary) {
  std::mt19937_64 rng(3);
  for (double rate : {1.0, 3.0, 7.0, 1000.0, 33333.3, 1e6, 2.5e7}) {
    const Schedule s(5'000'000, rate);
    for (int i = 0; i < 2000; ++i) {
      const uint64_t k = rng() % 1'000'000;
      const uint64_t t = s.due_time(k);
      ASSERT_EQ(s.due_by(t), k + 1) << "rate " << rate << " k " << k;         // message k is due at t
      if (k > 0 && t > s.due_time(k - 1)) {
        ASSERT_EQ(s.due_by(t - 1), k) << "rate " << rate;  // one ns earlier, message k is not due yet
      }
    }
  }
}

TEST(Pacing, nothing_is_due_before_the_start) {
  const Schedule s(1'000'000, 100.0);
  EXPECT_EQ(s.due_by(0), 0u);
  EXPECT_EQ(s.due_by(999'999), 0u);
  EXPECT_EQ(s.due_by(1'000'000), 1u);
}

TEST(Pacing, slow_rates_are_representable) {
  const Schedule s(0, 0.001);  // one message per 1000 s
  EXPECT_EQ(s.due_time(1), 1'000'000'000'000ULL);
  EXPECT_EQ(s.due_by(999'999'999'999ULL), 1u);
}

TEST(Pacing, rejects_a_non_positive_rate) {
  EXPECT_THROW(Schedule(0, 0.0), std::invalid_argument);
  EXPECT_THROW(Schedule(0, -5.0), std::invalid_argument);
  EXPECT_THROW(Schedule(0, 0.0001), std::invalid_argument);  // below the 0.001/s resolution
}

TEST(Pacing, thread_shares_add_up_to_the_total_rate) {
  // 10 connections on 3 threads: 4, 3, 3.
  const double total = thread_rate(1000, 4, 10) + thread_rate(1000, 3, 10) + thread_rate(1000, 3, 10);
  EXPECT_DOUBLE_EQ(total, 1000.0);
  EXPECT_EQ(thread_phase_ns(1000, 0), 0u);
  EXPECT_EQ(thread_phase_ns(1000, 2), 2'000'000u);
}

TEST(Pacing, a_send_is_behind_only_beyond_the_tolerance) {
  EXPECT_EQ(punctuality(1000, 1000, 500), Punctuality::OnTime);
  EXPECT_EQ(punctuality(1000, 1500, 500), Punctuality::OnTime);
  EXPECT_EQ(punctuality(1000, 1501, 500), Punctuality::Behind);
  EXPECT_EQ(punctuality(1000, 900, 0), Punctuality::OnTime);  // early is never behind
}

}  // namespace
}  // namespace wsalloc::load
