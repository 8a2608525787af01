#include "bench/compare/bootstrap.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "bench/compare/distributions.hpp"
#include "synthetic_blocks.hpp"

namespace wsalloc::bench::compare {
namespace {

// Right-skewed: two runs far above the rest. The bootstrap, not the t floor, sets the upper end.
const std::vector<double> kSkewed = {0.0, 0.011, 0.02, 0.003, 0.012, 0.031, 0.022, 0.4, 0.013, 0.001, 0.024, 0.35};

TEST(Bootstrap, same_values_and_seed_give_the_same_interval) {
  const Interval a = bootstrap_mean_interval(kSkewed, 0.95, {.resamples = 0, .seed = 7});
  const Interval b = bootstrap_mean_interval(kSkewed, 0.95, {.resamples = 0, .seed = 7});
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
  const Interval c = bootstrap_mean_interval(kSkewed, 0.95, {.resamples = 0, .seed = 8});
  EXPECT_NE(a.high, c.high) << "another seed resamples differently";
  EXPECT_NEAR(a.high, c.high, 0.01) << "but not by much";
}

TEST(Bootstrap, skewed_values_give_a_skewed_interval_never_narrower_than_t) {
  double mean = 0;
  for (double x : kSkewed) mean += x / double(kSkewed.size());
  const Interval i = bootstrap_mean_interval(kSkewed, 0.95);
  const Interval t = student_t_interval(kSkewed, 0.95);
  EXPECT_LE(i.low, t.low);
  EXPECT_GT(i.high, t.high + 0.005) << "the long upper tail reaches beyond the symmetric t interval";
  EXPECT_GT(i.high - mean, mean - i.low);
}

TEST(Bootstrap, interval_contains_the_mean_and_widens_with_confidence) {
  const std::vector<double> v = {0.1, -0.05, 0.2, 0.03, 0.11, -0.02, 0.07, 0.15};
  double mean = 0;
  for (double x : v) mean += x / double(v.size());
  const Interval i95 = bootstrap_mean_interval(v, 0.95);
  const Interval i99 = bootstrap_mean_interval(v, 0.99);
  EXPECT_LT(i95.low, mean);
  EXPECT_GT(i95.high, mean);
  EXPECT_LT(i99.low, i95.low);
  EXPECT_GT(i99.high, i95.high);
}

TEST(Bootstrap, expanded_interval_is_about_as_wide_as_students_t) {
  // For symmetric data the expanded percentile interval should be close to mean ± t·s/√n.
  SplitMix64 rng(3);
  std::vector<double> v;
  for (int i = 0; i < 12; ++i) v.push_back(0.05 * testing::standard_normal(rng));
  double mean = 0, ss = 0;
  for (double x : v) mean += x / double(v.size());
  for (double x : v) ss += (x - mean) * (x - mean);
  const double t_half = student_t_quantile(0.975, 11) * std::sqrt(ss / 11) / std::sqrt(12.0);
  const Interval i = bootstrap_mean_interval(v, 0.95);
  EXPECT_NEAR((i.high - i.low) / 2, t_half, 0.2 * t_half);
}

TEST(Bootstrap, expanded_tail_is_narrower_than_alpha_for_few_values) {
  EXPECT_LT(expanded_tail(8, 0.95), 0.025);
  EXPECT_NEAR(expanded_tail(100000, 0.95), 0.025, 1e-4);
}

TEST(Bootstrap, equal_values_give_a_zero_wide_interval) {
  const std::vector<double> v(6, 0.25);
  const Interval i = bootstrap_mean_interval(v, 0.99);
  EXPECT_EQ(i.low, 0.25);
  EXPECT_EQ(i.high, 0.25);
}

TEST(Bootstrap, bad_input_is_refused_naming_it) {
  const std::vector<double> one = {1.0};
  EXPECT_THROW(bootstrap_mean_interval(one, 0.95), std::invalid_argument);
  const std::vector<double> nan = {1.0, std::nan("")};
  try {
    bootstrap_mean_interval(nan, 0.95);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("value 1"), std::string::npos) << e.what();
  }
  const std::vector<double> two = {1.0, 2.0};
  EXPECT_THROW(bootstrap_mean_interval(two, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace wsalloc::bench::compare
