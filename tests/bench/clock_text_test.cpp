#include "bench/clock_text.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(ClockText, utc_forms_of_a_known_instant) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1732634000));  // 2024-11-26 15:13:20 UTC
  EXPECT_EQ(utc_iso(t), "2024-11-26T15:13:20Z");
  EXPECT_EQ(utc_compact(t), "20241126T151320Z");
}

TEST(ClockText, durations_read_like_a_person_writes_them) {
  EXPECT_EQ(format_duration(0.4), "0s");
  EXPECT_EQ(format_duration(45), "45s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-5), "0s");
}

}  // namespace
}  // namespace wsalloc::bench
