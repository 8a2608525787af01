// LatencyHistogram: a log-linear histogram of nanosecond values with at most 1/256 relative error,
// mergeable across threads, runs and processes (through its compact JSON form).
//
// Layout (HdrHistogram-style, 7 sub-bucket bits):
//   v < 256:                bucket v (exact)
//   v >= 256, e = bit_width(v) - 8 (>= 1), m = v >> e (128..255):   bucket e * 128 + m
// so bucket widths are 1 up to 255 and then 2^e for values in [128 * 2^e, 256 * 2^e): a width of at
// most 1/128 of the bucket's lower bound. Percentiles report the bucket midpoint, clamped to the exact
// [min, max] seen, hence a relative error <= 1/256 (0.4 %) against the true order statistic.
// 7424 buckets cover all of uint64_t: recording never clips. Memory: 58 KiB per histogram, allocated
// once in the constructor; record() does not allocate.
//
// Percentile definition: the value at rank ceil(p/100 * count) (1-based) of the sorted samples, i.e.
// the smallest recorded value v with at least p % of the samples <= v. p = 0 gives min, 100 gives max.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace wsalloc::load {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;                 // 128
  static constexpr size_t kBuckets = (64 - kSubBits - 1) * kSub + 2 * kSub;  // 7424
  static_assert(kBuckets == 7424, "the last bucket holds UINT64_MAX: e = 56, m = 255");

  LatencyHistogram();

  static size_t bucket_of(uint64_t v) noexcept {
    if (v < 2 * kSub) return static_cast<size_t>(v);
    const unsigned e = static_cast<unsigned>(std::bit_width(v)) - (kSubBits + 1);
    return static_cast<size_t>((uint64_t{e} << kSubBits) + (v >> e));
  }
  static uint64_t bucket_low(size_t b) noexcept;
  static uint64_t bucket_width(size_t b) noexcept;

  void record(uint64_t v) noexcept {
    ++counts_[bucket_of(v)];
    ++count_;
    sum_ += v;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  void record_n(uint64_t v, uint64_t n) noexcept;
  void merge(const LatencyHistogram& other) noexcept;
  void reset() noexcept;

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ ? min_ : 0; }
  uint64_t max() const noexcept { return max_; }
  uint64_t sum() const noexcept { return sum_; }   // wraps after 584 years of summed latency
  double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // p in [0, 100]; 0 when the histogram is empty.
  uint64_t percentile(double p) const noexcept;
  uint64_t bucket_count(size_t b) const noexcept { return counts_[b]; }

  // {"unit":"ns","sub_bucket_bits":7,"count":N,"min":..,"max":..,"sum":..,"buckets":[[index,count],...]}
  // with only the non-empty buckets, in index order.
  nlohmann::json to_json() const;
  // Throws std::invalid_argument naming the field when `j` is not in the to_json() form (wrong
  // sub_bucket_bits, index out of range, counts not adding up to count).
  static LatencyHistogram from_json(const nlohmann::json& j);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace wsalloc::load
