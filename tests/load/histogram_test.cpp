#include "load/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsalloc::load {
namespace {

// The reference percentile: rank ceil(p/100 * n), 1-based, of the sorted samples.
uint64_t reference(std::vector<uint64_t> sorted, double p) {
  if (p <= 0) return sorted.front();
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_within_one_percent(uint64_t got, uint64_t want, double p) {
  const double err = want == 0 ? static_cast<double>(got) : std::abs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
  EXPECT_LE(err, 0.01) << "p" << p << ": histogram " << got << " vs sorted reference " << want;
}

TEST(Histogram, bucket_bounds_contain_their_values_and_are_contiguous) {
  for (size_t b = 1; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_EQ(LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_low(b - 1) + LatencyHistogram::bucket_width(b - 1)) << b;
  }
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = rng() >> (rng() % 64);
    const size_t b = LatencyHistogram::bucket_of(v);
    ASSERT_LT(b, LatencyHistogram::kBuckets);
    ASSERT_GE(v, LatencyHistogram::bucket_low(b));
    ASSERT_LE(v - LatencyHistogram::bucket_low(b), LatencyHistogram::bucket_width(b) - 1);
  }
  EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(LatencyHistogram::bucket_of(0), 0u);
  EXPECT_EQ(LatencyHistogram::bucket_of(255), 255u);
}

TEST(Histogram, bucket_width_is_at_most_one_128th_of_its_lower_bound) {
  for (size_t b = 256; b < LatencyHistogram::kBuckets; ++b) {
    ASSERT_LE(LatencyHistogram::bucket_width(b) * 128, LatencyHistogram::bucket_low(b)) << b;
  }
}

TEST(Histogram, small_values_are_exact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 127u);
  EXPECT_EQ(h.percentile(100), 255u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, percentiles_match_sorted_reference_within_one_percent_on_random_data) {
  std::mt19937_64 rng(42);
  // Log-uniform latencies from 100 ns to ~10 s, plus a lognormal cluster: both spread and tails.
  std::lognormal_distribution<double> lognormal(std::log(50000.0), 1.0);
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = i % 2 ? static_cast<uint64_t>(std::pow(10.0, 2.0 + 8.0 * std::generate_canonical<double, 53>(rng)))
                             : static_cast<uint64_t>(lognormal(rng));
    samples.push_back(v);
    h.record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    expect_within_one_percent(h.percentile(p), reference(samples, p), p);
  }
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.count(), samples.size());
}

TEST(Histogram, merge_equals_recording_everything_in_one) {
  std::mt19937_64 rng(7);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 50000; ++i) {
    const uint64_t v = rng() % 10'000'000;
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (size_t k = 0; k < LatencyHistogram::kBuckets; ++k) ASSERT_EQ(a.bucket_count(k), all.bucket_count(k));
  for (double p : {50.0, 99.0, 99.99}) EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(Histogram, merging_an_empty_histogram_changes_nothing) {
  LatencyHistogram a, empty;
  a.record(1000);
  a.merge(empty);
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(a.min(), 1000u);
  empty.merge(a);
  EXPECT_EQ(empty.min(), 1000u);
}

TEST(Histogram, json_round_trip_keeps_every_bucket) {
  LatencyHistogram h;
  h.record_n(5, 3);
  h.record(123456789);
  h.record(UINT64_MAX / 2);
  const auto j = h.to_json();
  EXPECT_EQ(j.at("buckets").size(), 3u);  // only non-empty buckets are written
  const LatencyHistogram back = LatencyHistogram::from_json(nlohmann::json::parse(j.dump()));
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.sum(), h.sum());
  EXPECT_EQ(back.min(), 5u);
  EXPECT_EQ(back.max(), h.max());
  for (size_t k = 0; k < LatencyHistogram::kBuckets; ++k) ASSERT_EQ(back.bucket_count(k), h.bucket_count(k));
}

TEST(Histogram, from_json_rejects_a_foreign_layout) {
  LatencyHistogram h;
  h.record(10);
  auto j = h.to_json();
  j["sub_bucket_bits"] = 5;
  EXPECT_THROW(LatencyHistogram::from_json(j), std::invalid_argument);
  j = h.to_json();
  j["count"] = 2;
  EXPECT_THROW(LatencyHistogram::from_json(j), std::invalid_argument);
  j = h.to_json();
  j["buckets"] = nlohmann::json::array({nlohmann::json::array({LatencyHistogram::kBuckets, 1})});
  EXPECT_THROW(LatencyHistogram::from_json(j), std::invalid_argument);
}

TEST(Histogram, empty_histogram_reports_zero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace wsalloc::load
