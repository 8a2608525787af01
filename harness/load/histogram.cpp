#include "load/histogram.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace wsalloc::load {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

uint64_t LatencyHistogram::bucket_low(size_t b) noexcept {
  if (b < 2 * kSub) return b;
  const unsigned e = static_cast<unsigned>(b >> kSubBits) - 1;
  const uint64_t m = b - (uint64_t{e} << kSubBits);  // 128..255
  return m << e;
}

uint64_t LatencyHistogram::bucket_width(size_t b) noexcept {
  if (b < 2 * kSub) return 1;
  return uint64_t{1} << ((b >> kSubBits) - 1);
}

void LatencyHistogram::record_n(uint64_t v, uint64_t n) noexcept {
  if (n == 0) return;
  counts_[bucket_of(v)] += n;
  count_ += n;
  sum_ += v * n;
  if (v < min_) min_ = v;
  if (v > max_) max_ = v;
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  if (other.count_ == 0) return;
  for (size_t b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.min_ < min_) min_ = other.min_;
  if (other.max_ > max_) max_ = other.max_;
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

uint64_t LatencyHistogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  if (p <= 0) return min_;
  if (p >= 100) return max_;
  // rank = ceil(p/100 * count), at least 1; computed in long double so 99.99 % of 10^12 samples
  // still lands on the right sample.
  auto rank = static_cast<uint64_t>(std::ceil(static_cast<long double>(p) / 100.0L * static_cast<long double>(count_)));
  if (rank < 1) rank = 1;
  if (rank > count_) rank = count_;
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) {
      const uint64_t mid = bucket_low(b) + (bucket_width(b) - 1) / 2;
      return mid < min_ ? min_ : mid > max_ ? max_ : mid;
    }
  }
  return max_;  // unreachable while counts_ adds up to count_
}

nlohmann::json LatencyHistogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (size_t b = 0; b < kBuckets; ++b) {
    if (counts_[b] != 0) buckets.push_back({b, counts_[b]});
  }
  return {{"unit", "ns"}, {"sub_bucket_bits", kSubBits}, {"count", count_}, {"min", min()},
          {"max", max_},  {"sum", sum_},                 {"buckets", std::move(buckets)}};
}

LatencyHistogram LatencyHistogram::from_json(const nlohmann::json& j) {
  auto bad = [](const std::string& what) { return std::invalid_argument("histogram: " + what); };
  if (!j.is_object()) throw bad("not a JSON object");
  if (j.value("unit", std::string{}) != "ns") throw bad("unit is not \"ns\"");
  if (j.value("sub_bucket_bits", 0u) != kSubBits) {
    throw bad("sub_bucket_bits " + j.value("sub_bucket_bits", nlohmann::json{}).dump() + " != " + std::to_string(kSubBits));
  }
  LatencyHistogram h;
  const auto& buckets = j.at("buckets");
  if (!buckets.is_array()) throw bad("buckets is not an array");
  for (const auto& pair : buckets) {
    if (!pair.is_array() || pair.size() != 2) throw bad("bucket entry " + pair.dump() + " is not [index, count]");
    const auto b = pair[0].get<uint64_t>();
    if (b >= kBuckets) throw bad("bucket index " + std::to_string(b) + " >= " + std::to_string(kBuckets));
    const auto c = pair[1].get<uint64_t>();
    h.counts_[b] += c;
    h.count_ += c;
  }
  const auto count = j.at("count").get<uint64_t>();
  if (count != h.count_) {
    throw bad("bucket counts add up to " + std::to_string(h.count_) + ", count says " + std::to_string(count));
  }
  h.sum_ = j.at("sum").get<uint64_t>();
  h.max_ = j.at("max").get<uint64_t>();
  h.min_ = count ? j.at("min").get<uint64_t>() : UINT64_MAX;
  return h;
}

}  // namespace wsalloc::load
