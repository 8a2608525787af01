#include "bench/compare/distributions.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace wsalloc::bench::compare {
namespace {

TEST(Distributions, normal_quantiles_match_the_table) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959964, 1e-6);
  EXPECT_NEAR(normal_quantile(0.995), 2.575829, 1e-6);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(normal_cdf(-1.959964), 0.025, 1e-7);
}

TEST(Distributions, student_t_quantiles_match_the_table) {
  // Two-sided 95 % and 99 % critical values, e.g. any statistics textbook's t table.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 7), 2.3646, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 9), 3.2498, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 30), 2.7500, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.025, 7), -2.3646, 1e-4);
}

TEST(Distributions, student_t_approaches_the_normal_for_many_degrees_of_freedom) {
  EXPECT_NEAR(student_t_quantile(0.975, 1e6), normal_quantile(0.975), 1e-5);
}

TEST(Distributions, student_t_cdf_is_symmetric_and_inverts_the_quantile) {
  EXPECT_NEAR(student_t_cdf(0, 5), 0.5, 1e-12);
  EXPECT_NEAR(student_t_cdf(-2, 5) + student_t_cdf(2, 5), 1.0, 1e-12);
  EXPECT_NEAR(student_t_cdf(student_t_quantile(0.9, 4), 4), 0.9, 1e-9);
}

TEST(Distributions, probability_outside_0_1_is_refused) {
  EXPECT_THROW(normal_quantile(0), std::invalid_argument);
  EXPECT_THROW(normal_quantile(1.5), std::invalid_argument);
  EXPECT_THROW(student_t_quantile(0.5, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace wsalloc::bench::compare
