#include "load/results.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace wsalloc::load {
namespace {

RunResult sample(uint64_t messages, double duration, uint64_t latency_ns) {
  RunResult r;
  r.config = {{"mode", "echo"}, {"host", "127.0.0.1"}, {"port", 1}, {"path", "/"}, {"payload", {32}}};
  r.counters.messages = messages;
  r.counters.payload_bytes = messages * 32;
  r.counters.sent = messages + 1;
  r.counters.handshakes = 4;
  r.counters.errors.missing = 1;
  for (uint64_t i = 0; i < messages; ++i) r.latency.record(latency_ns + i);
  r.handshake_latency.record(500'000);
  r.duration_s = duration;
  r.setup_s = 0.01;
  r.cpu = {0.5, 1.5};
  r.connections_requested = r.connections_established = 4;
  return r;
}

TEST(Results, json_has_the_documented_fields) {
  const auto j = to_json(sample(1000, 2.0, 10'000));
  for (const char* f : {"config", "messages", "msgs_per_sec", "mb_per_sec", "latency_us", "histogram", "errors", "handshakes",
                        "handshakes_per_sec", "behind_schedule", "cpu", "duration_s"}) {
    EXPECT_TRUE(j.contains(f)) << f;
  }
  for (const char* f : {"p50", "p90", "p99", "p999", "p9999", "max", "mean"}) EXPECT_TRUE(j["latency_us"].contains(f)) << f;
  for (const char* f : {"mismatch", "missing", "unexpected_close", "handshake_failed", "connect_failed", "total"}) {
    EXPECT_TRUE(j["errors"].contains(f)) << f;
  }
  EXPECT_DOUBLE_EQ(j["msgs_per_sec"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(j["cpu"]["us_per_msg"].get<double>(), 2000.0);  // 2 s of CPU over 1000 messages
  EXPECT_NEAR(j["latency_us"]["p50"].get<double>(), 10.5, 0.1);
  EXPECT_EQ(j["errors"]["total"], 1);
}

TEST(Results, unmeasured_values_are_null_not_zero) {
  RunResult r;
  const auto j = to_json(r);
  EXPECT_TRUE(j["latency_us"].is_null());
  EXPECT_TRUE(j["cpu"]["us_per_msg"].is_null());
}

TEST(Results, json_round_trip_preserves_counters_and_histograms) {
  const RunResult r = sample(777, 1.5, 3'000'000);
  const RunResult back = result_from_json(nlohmann::json::parse(to_json(r).dump()));
  EXPECT_EQ(back.counters.messages, 777u);
  EXPECT_EQ(back.counters.sent, 778u);
  EXPECT_EQ(back.counters.errors.missing, 1u);
  EXPECT_EQ(back.latency.count(), 777u);
  EXPECT_EQ(back.latency.percentile(99), r.latency.percentile(99));
  EXPECT_EQ(back.handshake_latency.count(), 1u);
  EXPECT_DOUBLE_EQ(back.duration_s, 1.5);
  EXPECT_DOUBLE_EQ(back.cpu.sys_s, 1.5);
}

TEST(Results, from_json_names_a_missing_field) {
  auto j = to_json(sample(1, 1, 1));
  j.erase("sent");
  try {
    result_from_json(j);
    FAIL() << "accepted a result without \"sent\"";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"sent\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(result_from_json(nlohmann::json{{"tool", "other"}}), std::invalid_argument);
}

TEST(Results, merging_shards_adds_counts_and_rates) {
  const RunResult m = merge_results({sample(1000, 2.0, 100), sample(3000, 2.0, 200'000)}, MergeKind::Shards);
  EXPECT_EQ(m.counters.messages, 4000u);
  EXPECT_EQ(m.counters.errors.missing, 2u);
  EXPECT_EQ(m.latency.count(), 4000u);
  EXPECT_DOUBLE_EQ(m.duration_s, 2.0);
  EXPECT_DOUBLE_EQ(m.msgs_per_sec(), 2000.0);
  EXPECT_EQ(m.runs, 2u);
  EXPECT_EQ(m.latency.min(), 100u);
  EXPECT_EQ(m.latency.max(), 200'000u + 2999u);
  EXPECT_DOUBLE_EQ(m.cpu.user_s, 1.0);
}

// Shards run side by side, each over its own window: the aggregate rate is the sum of their rates,
// not all messages over the longest window (which undercounts whenever the windows differ, as they
// do when load hosts start a few milliseconds apart).
TEST(Results, merging_shards_with_different_windows_adds_their_rates) {
  const RunResult a = sample(1000, 2.0, 100), b = sample(3000, 2.5, 100);
  const RunResult m = merge_results({a, b}, MergeKind::Shards);
  EXPECT_DOUBLE_EQ(m.msgs_per_sec(), a.msgs_per_sec() + b.msgs_per_sec());  // 500 + 1200
  EXPECT_DOUBLE_EQ(m.mb_per_sec(), a.mb_per_sec() + b.mb_per_sec());
  EXPECT_DOUBLE_EQ(m.duration_s, 2.5);
  // Through JSON (what `wsload merge` reads and writes), merging merges keeps the sum.
  const RunResult again = merge_results({result_from_json(to_json(m)), sample(500, 1.0, 100)}, MergeKind::Shards);
  EXPECT_DOUBLE_EQ(again.msgs_per_sec(), 500.0 + 1200.0 + 500.0);
  EXPECT_DOUBLE_EQ(to_json(again)["msgs_per_sec"].get<double>(), 2200.0);
}

// The path `wsload merge` takes (JSON out of each shard, back in, merged) loses nothing: every
// percentile of the merge is the one a single histogram of all samples gives.
TEST(Results, merged_shard_percentiles_equal_one_histogram_of_all_samples) {
  std::vector<RunResult> shards(3, sample(0, 1.0, 0));
  LatencyHistogram all;
  uint64_t x = 12345;
  for (int i = 0; i < 90000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t v = 1000 + (x >> 40) % (i % 97 == 0 ? 50'000'000 : 400'000);  // a long tail on one shard in 97
    shards[static_cast<size_t>(i) % 3].latency.record(v);
    all.record(v);
  }
  std::vector<RunResult> back;
  for (const RunResult& s : shards) back.push_back(result_from_json(nlohmann::json::parse(to_json(s).dump())));
  const RunResult m = merge_results(back, MergeKind::Shards);
  ASSERT_EQ(m.latency.count(), all.count());
  for (double p : {0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) EXPECT_EQ(m.latency.percentile(p), all.percentile(p)) << p;
  EXPECT_EQ(m.latency.sum(), all.sum());
  for (size_t b = 0; b < LatencyHistogram::kBuckets; ++b) ASSERT_EQ(m.latency.bucket_count(b), all.bucket_count(b)) << b;
}

TEST(Results, merging_sequential_runs_adds_durations) {
  const RunResult m = merge_results({sample(1000, 2.0, 100), sample(3000, 2.0, 100)}, MergeKind::Sequential);
  EXPECT_DOUBLE_EQ(m.duration_s, 4.0);
  EXPECT_DOUBLE_EQ(m.msgs_per_sec(), 1000.0);
}

TEST(Results, summary_names_every_error_kind_seen) {
  RunResult r = sample(10, 1, 1000);
  r.counters.errors.mismatch = 2;
  r.first_errors = {"echo of message 3 differs"};
  const std::string s = human_summary(r);
  EXPECT_NE(s.find("mismatch 2"), std::string::npos) << s;
  EXPECT_NE(s.find("missing 1"), std::string::npos) << s;
  EXPECT_NE(s.find("echo of message 3 differs"), std::string::npos) << s;
  EXPECT_NE(human_summary(sample(10, 1, 1000)).find("p99"), std::string::npos);
}

}  // namespace
}  // namespace wsalloc::load
