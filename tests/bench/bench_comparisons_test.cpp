#include "bench/bench_comparisons.hpp"

#include <gtest/gtest.h>

#include "record_builders.hpp"

#include <cmath>


namespace wsalloc::bench {
namespace {

Target target(const std::string& name, TargetKind kind) { return testing::make_target(name, kind); }

RunRecord timed(const std::string& target, uint32_t block, double cpu_us, bool repeat = false) {
  RunRecord r = testing::timed_cpu("echo-small", target, block, cpu_us);
  if (repeat) r.flags.emplace_back(kReferenceRepeat);
  return r;
}

const BenchComparison* find(const std::vector<BenchComparison>& cs, const std::string& target, const std::string& ref) {
  for (const BenchComparison& c : cs)
    if (c.target == target && c.reference == ref && c.metric == "server_cpu_us_per_msg") return &c;
  return nullptr;
}

// p99 latency is compared only where the load was open loop (an offered rate): closed loop, a
// faster server just gets more messages in flight, and its latency says nothing of its own.
TEST(BenchComparisons, p99_latency_is_compared_in_open_loop_cases_only) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant)};
  std::vector<RunRecord> recs;
  for (uint32_t b = 1; b <= 4; ++b) {
    for (const char* name : {"malloc", "pool"}) {
      RunRecord closed = timed(name, b, 10);
      closed.metrics.set("latency_p99_us", name == std::string("pool") ? 50 : 100);
      recs.push_back(closed);
      RunRecord open = closed;
      open.scenario = "latency-at-rate";
      open.metrics.set("offered_rate", 20000);
      recs.push_back(open);
    }
  }
  size_t p99 = 0;
  for (const BenchComparison& c : compare_targets(recs, targets)) {
    if (c.metric != "latency_p99_us") continue;
    ++p99;
    EXPECT_EQ(c.scenario, "latency-at-rate");
    EXPECT_EQ(c.target, "pool");
    EXPECT_NEAR(c.result.ratio, 0.5, 1e-9);
  }
  EXPECT_EQ(p99, 1u);
}

TEST(BenchComparisons, references_follow_the_target_kind) {
  EXPECT_EQ(references_of(target("pool", TargetKind::Variant)), (std::vector<std::string>{"malloc", "rawecho"}));
  EXPECT_EQ(references_of(target("malloc", TargetKind::Variant)), (std::vector<std::string>{"rawecho"}));
  EXPECT_EQ(references_of(target("malloc+jemalloc", TargetKind::Allocator)), (std::vector<std::string>{"malloc"}));
  EXPECT_EQ(references_of(target("beast", TargetKind::Peer)), (std::vector<std::string>{"rawecho"}));
  EXPECT_TRUE(references_of(target("rawecho", TargetKind::Raw)).empty());
}

// Blocks where the whole machine got slower by a different factor each time: the per-block ratio
// is what matters, so a 20 % cheaper target is "faster" with a tight interval, and the reference's
// second run in each block (A′) is "equivalent" to the reference.
TEST(BenchComparisons, paired_blocks_cancel_the_drift_and_a_prime_gives_the_noise_floor) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant)};
  std::vector<RunRecord> recs;
  const double drift[] = {1.0, 1.6, 0.8, 2.1, 1.2, 0.9, 1.4, 1.1};
  for (uint32_t b = 1; b <= 8; ++b) {
    const double wobble = b % 2 ? 1.004 : 0.996;
    recs.push_back(timed("malloc", b, 10 * drift[b - 1]));
    recs.push_back(timed("pool", b, 8 * drift[b - 1] * wobble));
    recs.push_back(timed("malloc", b, 10 * drift[b - 1] / wobble, /*repeat=*/true));
  }
  const auto cs = compare_targets(recs, targets);
  const BenchComparison* pool = find(cs, "pool", "malloc");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->result.blocks, 8u);
  EXPECT_NEAR(pool->result.ratio, 0.8, 0.01);
  EXPECT_EQ(pool->result.verdict, compare::Verdict::Faster);
  const BenchComparison* noise = find(cs, "malloc (A′)", "malloc");
  ASSERT_NE(noise, nullptr);
  EXPECT_EQ(noise->result.verdict, compare::Verdict::Equivalent);
  EXPECT_EQ(find(cs, "pool", "rawecho"), nullptr) << "no rawecho runs, no comparison";
}

// The precision rounds settle a variant's server CPU against malloc: per round, the variant
// against the geometric mean of the malloc runs just before and after it (slots ± 1; here
// 8 / sqrt(10.4 x 9.6) x drift for pool, 7 / sqrt(9.6 x 10) for arena), and the fresh blocks
// (wild here) are left out of that comparison. Every other comparison, A′'s noise floor included,
// is of the fresh blocks only; so is a variant without rounds (zerocopy).
TEST(BenchComparisons, precision_rounds_settle_the_variants_server_cpu_against_malloc_alone) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant),
                                       target("arena", TargetKind::Variant), target("zerocopy", TargetKind::Variant)};
  std::vector<RunRecord> recs;
  const double wild[] = {0.5, 2.0, 0.7};
  for (uint32_t b = 1; b <= 3; ++b) {
    recs.push_back(timed("malloc", b, 10));
    recs.push_back(timed("pool", b, 10 * wild[b - 1]));
    recs.push_back(timed("arena", b, 9 * wild[b - 1]));
    recs.push_back(timed("zerocopy", b, 9 * wild[b - 1]));
    recs.push_back(timed("malloc", b, 11, /*repeat=*/true));
  }
  const double drift[] = {1.0, 1.3, 0.9, 1.1};
  auto held = [&](const std::string& name, uint32_t round, uint32_t slot, double cpu) {
    RunRecord r = timed(name, round, cpu);
    r.flags.emplace_back(kHeldRound);
    r.round_slot = slot;
    r.metrics.set("msgs_per_sec", 1000);  // not compared: only server CPU comes from rounds
    recs.push_back(r);
  };
  for (uint32_t r = 4; r <= 7; ++r) {
    const double d = drift[r - 4];
    held("malloc", r, 1, 10.4 * d);
    held("pool", r, 2, 8 * d);
    held("malloc", r, 3, 9.6 * d);
    held("arena", r, 4, 7 * d);
    held("malloc", r, 5, 10 * d);
  }
  const auto cs = compare_targets(recs, targets);
  const BenchComparison* pool = find(cs, "pool", "malloc");
  ASSERT_NE(pool, nullptr);
  EXPECT_TRUE(pool->held_servers);
  EXPECT_EQ(pool->result.blocks, 4u);
  EXPECT_NEAR(pool->result.ratio, 8 / std::sqrt(10.4 * 9.6), 1e-9);
  EXPECT_LT(relative_half_width(pool->result), 1e-6);
  const BenchComparison* arena = find(cs, "arena", "malloc");
  ASSERT_NE(arena, nullptr);
  EXPECT_TRUE(arena->held_servers);
  EXPECT_NEAR(arena->result.ratio, 7 / std::sqrt(9.6 * 10), 1e-9);
  const BenchComparison* zerocopy = find(cs, "zerocopy", "malloc");
  ASSERT_NE(zerocopy, nullptr);
  EXPECT_FALSE(zerocopy->held_servers);
  EXPECT_EQ(zerocopy->result.blocks, 3u);
  const BenchComparison* noise = find(cs, "malloc (A′)", "malloc");
  ASSERT_NE(noise, nullptr);
  EXPECT_FALSE(noise->held_servers);
  EXPECT_EQ(noise->result.blocks, 3u);
  EXPECT_NEAR(noise->result.ratio, 1.1, 1e-9);
  for (const BenchComparison& c : cs) EXPECT_NE(c.metric, "msgs_per_sec") << c.target << " vs " << c.reference;
  for (const auto& j : comparisons_json(cs)) {
    if (j["metric"] != "server_cpu_us_per_msg" || j["reference"] != "malloc" || j["target"] == "malloc (A′)") continue;
    EXPECT_EQ(j["servers"], j["target"] == "zerocopy" ? "fresh" : "held") << j.dump();
  }
}

// Chained rounds (precision_blocks.hpp): the slots number the case's chain, and a round's first
// variant is bracketed by the previous round's closing malloc run.
TEST(BenchComparisons, a_chained_rounds_first_variant_is_bracketed_by_the_last_rounds_malloc) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant),
                                       target("arena", TargetKind::Variant)};
  std::vector<RunRecord> recs;
  auto held = [&](const std::string& name, uint32_t round, uint32_t slot, double cpu) {
    RunRecord r = timed(name, round, cpu);
    r.flags.emplace_back(kHeldRound);
    r.round_slot = slot;
    recs.push_back(r);
  };
  held("malloc", 4, 1, 10);
  held("pool", 4, 2, 8);
  held("malloc", 4, 3, 11);
  held("arena", 4, 4, 7);
  held("malloc", 4, 5, 12);
  held("arena", 5, 6, 6);  // slot 5, round 4's closing malloc, before it
  held("malloc", 5, 7, 9);
  held("pool", 5, 8, 9);
  held("malloc", 5, 9, 10);
  const auto cs = compare_targets(recs, targets);
  const BenchComparison* arena = find(cs, "arena", "malloc");
  ASSERT_NE(arena, nullptr);
  EXPECT_TRUE(arena->held_servers);
  ASSERT_EQ(arena->result.blocks, 2u);
  const double arena_logs = std::log(7 / std::sqrt(11.0 * 12)) + std::log(6 / std::sqrt(12.0 * 9));
  EXPECT_NEAR(arena->result.ratio, std::exp(arena_logs / 2), 1e-9);
  const BenchComparison* pool = find(cs, "pool", "malloc");
  ASSERT_NE(pool, nullptr);
  ASSERT_EQ(pool->result.blocks, 2u);
  const double pool_logs = std::log(8 / std::sqrt(10.0 * 11)) + std::log(9 / std::sqrt(9.0 * 10));
  EXPECT_NEAR(pool->result.ratio, std::exp(pool_logs / 2), 1e-9);
}

TEST(BenchComparisons, json_carries_the_contract_fields) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("arena", TargetKind::Variant)};
  std::vector<RunRecord> recs = {timed("malloc", 1, 10), timed("arena", 1, 11), timed("malloc", 2, 12), timed("arena", 2, 13)};
  const nlohmann::json j = comparisons_json(compare_targets(recs, targets));
  ASSERT_EQ(j.size(), 1u);
  for (const char* k : {"scenario", "case", "target", "reference", "metric", "ratio", "ci_low", "ci_high", "blocks", "verdict"})
    EXPECT_TRUE(j[0].contains(k)) << k;
  EXPECT_EQ(j[0]["target"], "arena");
  EXPECT_EQ(j[0]["blocks"], 2);
  EXPECT_FALSE(render_comparisons(compare_targets(recs, targets)).empty());
}

TEST(BenchComparisons, a_single_block_has_no_interval_and_is_inconclusive) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("arena", TargetKind::Variant)};
  const auto cs = compare_targets({timed("malloc", 1, 10), timed("arena", 1, 5)}, targets);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_FALSE(cs[0].result.ci);
  EXPECT_EQ(cs[0].result.verdict, compare::Verdict::Inconclusive);
  EXPECT_TRUE(comparisons_json(cs)[0]["ci_low"].is_null());
}

// A run measured again because it was disturbed stays in the results but never in a ratio: the
// block's ratio comes from the run that replaced it.
TEST(BenchComparisons, a_disturbed_run_is_left_out_of_its_block) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant)};
  std::vector<RunRecord> recs;
  for (uint32_t b = 1; b <= 4; ++b) {
    RunRecord crowded = timed("pool", b, 40);
    crowded.status = RunStatus::Disturbed;
    recs.push_back(crowded);
    recs.push_back(timed("pool", b, 9));
    recs.push_back(timed("malloc", b, 10));
  }
  const BenchComparison* c = find(compare_targets(recs, targets), "pool", "malloc");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->result.blocks, 4u);
  EXPECT_NEAR(c->result.ratio, 0.9, 1e-9);
}

TEST(BenchComparisons, relative_half_width_is_half_the_interval_over_the_ratio) {
  compare::Comparison c;
  c.ratio = 1.0;
  EXPECT_TRUE(std::isinf(relative_half_width(c)));  // no interval: never precise
  c.ci = compare::Interval{0.96, 1.06};
  EXPECT_NEAR(relative_half_width(c), 0.05, 1e-12);
  c.ratio = 2.0;
  c.ci = compare::Interval{1.8, 2.2};
  EXPECT_NEAR(relative_half_width(c), 0.10, 1e-12);
}

// The precision line counts only variants against malloc on server CPU: allocators, A′ and the
// comparisons with rawecho are other questions.
TEST(BenchComparisons, precision_counts_the_variants_against_malloc_within_the_target) {
  const std::vector<Target> targets = {target("malloc", TargetKind::Variant), target("pool", TargetKind::Variant),
                                       target("arena", TargetKind::Variant), target("malloc+jemalloc", TargetKind::Allocator)};
  std::vector<RunRecord> recs;
  const double pool_noise[] = {1.00, 1.01, 0.99, 1.00};  // tight: within ±5 %
  const double arena_noise[] = {0.6, 1.5, 0.7, 1.4};     // wide
  for (uint32_t b = 1; b <= 4; ++b) {
    recs.push_back(timed("malloc", b, 10));
    recs.push_back(timed("pool", b, 8 * pool_noise[b - 1]));
    recs.push_back(timed("arena", b, 10 * arena_noise[b - 1]));
    recs.push_back(timed("malloc+jemalloc", b, 10 * arena_noise[b - 1]));
  }
  const PrecisionSummary p = summarise_precision(compare_targets(recs, targets), targets, 0.05);
  EXPECT_EQ(p.comparisons, 2u);
  EXPECT_EQ(p.within, 1u);
  EXPECT_EQ(p.min_blocks, 4u);
  EXPECT_EQ(p.max_blocks, 4u);
  EXPECT_NE(p.render().find("1 of 2 variant comparisons"), std::string::npos) << p.render();
  EXPECT_EQ(p.to_json()["within"], 1);
  EXPECT_EQ(summarise_precision({}, targets, 0.05).render(), "");
}

// How many blocks ±5 % would take: Student's t shrinks with the blocks as well as sqrt(n), so 3
// blocks at ±10 % need 5 in all (t(2)/sqrt(3) = 2.48, t(4)/sqrt(5) = 1.24), not 12.
TEST(BenchComparisons, blocks_for_precision_counts_the_shrinking_t_too) {
  compare::Comparison c;
  c.ratio = 1.0;
  c.blocks = 3;
  c.confidence = 0.95;
  EXPECT_FALSE(blocks_for_precision(c, 0.05));  // no interval
  c.ci = compare::Interval{0.9, 1.1};
  EXPECT_EQ(blocks_for_precision(c, 0.05), 5u);
  EXPECT_EQ(blocks_for_precision(c, 0.11), 3u);  // already there
  c.ci = compare::Interval{0.2, 4.0};               // a bimodal reference: out of any budget
  EXPECT_GT(*blocks_for_precision(c, 0.05), 100u);
}

}  // namespace
}  // namespace wsalloc::bench
