#include "bench/precision_blocks.hpp"

#include <gtest/gtest.h>

#include "record_builders.hpp"

namespace wsalloc::bench {
namespace {

using testing::make_target;
RunRecord timed(const std::string& target, uint32_t block, double cpu_us) { return testing::timed_cpu("e", target, block, cpu_us); }

const CaseCheck kAllRun = [](const Scenario&, const Case&, const Target&) { return std::optional<Refusal>(); };

struct Fixture {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/e.toml");
  std::vector<Target> targets = {make_target("malloc", TargetKind::Variant), make_target("pool", TargetKind::Variant),
                                 make_target("arena", TargetKind::Variant), make_target("beast", TargetKind::Peer)};
  RunOptions opts;
  RunPlan plan;
  Fixture() {
    opts.repetitions = 3;
    opts.max_blocks = 6;
    opts.precision_budget_s = 60;
    plan = plan_run({&s}, targets, opts, "", kAllRun);
  }
};

// pool's ratio is steady (within ±5 %), arena's is not: the next block is arena and malloc only,
// never the peer, with malloc last.
TEST(PrecisionBlocks, a_block_holds_malloc_and_the_variants_still_wider_than_the_target) {
  Fixture f;
  PrecisionBlocks p(f.opts, f.plan);
  const PlannedCase& pc = f.plan.cases[0];
  ASSERT_TRUE(p.applies(pc));
  std::vector<RunRecord> recs;
  const double arena_noise[] = {0.8, 1.2, 0.9};
  for (uint32_t b = 1; b <= 3; ++b) {
    recs.push_back(timed("malloc", b, 10));
    recs.push_back(timed("pool", b, 9));
    recs.push_back(timed("arena", b, 10 * arena_noise[b - 1]));
    recs.push_back(timed("beast", b, 30 * arena_noise[b - 1]));
  }
  const auto block = p.next_block(pc, pc.runnable, recs, f.targets);
  ASSERT_EQ(block.size(), 2u);
  EXPECT_EQ(block[0]->name, "arena");
  EXPECT_EQ(block[1]->name, "malloc");
}

// A variant whose interval would need more than max_blocks is given up, but only after one
// precision block: three blocks with one bad one overstate the spread.
TEST(PrecisionBlocks, a_variant_out_of_reach_is_given_up_after_one_precision_block) {
  Fixture f;
  PrecisionBlocks p(f.opts, f.plan);
  const PlannedCase& pc = f.plan.cases[0];
  std::vector<RunRecord> recs;
  const double wild[] = {0.3, 3.0, 0.4, 2.5};
  for (uint32_t b = 1; b <= 3; ++b) {
    recs.push_back(timed("malloc", b, 10));
    recs.push_back(timed("pool", b, 10 * wild[b - 1]));
  }
  EXPECT_EQ(p.next_block(pc, pc.runnable, recs, f.targets).size(), 3u);  // pool, arena (unmeasured), malloc
  recs.push_back(timed("malloc", 4, 10));
  recs.push_back(timed("pool", 4, 10 * wild[3]));
  const auto block = p.next_block(pc, pc.runnable, recs, f.targets);
  ASSERT_EQ(block.size(), 2u);
  EXPECT_EQ(block[0]->name, "arena");
}

// The budget: each case may spend what is left over the cases still to come.
TEST(PrecisionBlocks, each_case_gets_what_is_left_over_the_cases_to_come) {
  Scenario a = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/a.toml");
  Scenario b = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/b.toml");
  Scenario idle = parse_scenario_text("description = \"d\"\nkind = \"idle\"\n", "scenarios/i.toml");
  Fixture f;
  const RunPlan plan = plan_run({&a, &idle, &b}, f.targets, f.opts, "", kAllRun);
  PrecisionBlocks p(f.opts, plan);
  EXPECT_FALSE(p.applies(plan.cases[1]));  // idle: no messages
  EXPECT_DOUBLE_EQ(p.budget_s(), 60);
  EXPECT_DOUBLE_EQ(p.begin_case(), 30);  // two cases take them
  p.end_case(10);                        // the first used 10 s
  EXPECT_DOUBLE_EQ(p.begin_case(), 50);  // the second gets the rest
}

}  // namespace
}  // namespace wsalloc::bench
