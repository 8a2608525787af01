#include "bench/report/number_text.hpp"

#include <gtest/gtest.h>

using namespace wsalloc::report;

TEST(NumberText, null_is_written_not_measured_never_zero) {
  EXPECT_EQ(format_number(std::nullopt), "not measured");
  EXPECT_EQ(format_ratio(std::nullopt), "—");
  EXPECT_EQ(format_pct(std::nullopt), "—");
}

TEST(NumberText, exact_zero_is_zero_and_counting_noise_is_near_zero) {
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(2e-5), "≈0");
  EXPECT_EQ(format_number(-3.3e-5), "≈0");
  EXPECT_EQ(format_number(0.00103), "0.00103");
}

TEST(NumberText, small_values_keep_three_digits_large_ones_group_thousands) {
  EXPECT_EQ(format_number(3.0000366), "3");
  EXPECT_EQ(format_number(12.345), "12.3");
  EXPECT_EQ(format_number(614.8), "615");
  EXPECT_EQ(format_number(220188.4), "220,188");
  EXPECT_EQ(format_number(1000467.6), "1,000,468");
  EXPECT_EQ(format_number(-250000), "-250,000");
}

TEST(NumberText, ratios_and_percentages_carry_their_sign_and_symbol) {
  EXPECT_EQ(format_ratio(1.25), "×1.25");
  EXPECT_EQ(format_pct(25.0), "+25.0 %");
  EXPECT_EQ(format_pct(-4.7619), "-4.8 %");
}
