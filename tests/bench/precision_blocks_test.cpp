#include "bench/precision_blocks.hpp"

#include <gtest/gtest.h>

#include <array>

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

// The fixture's one case, its PrecisionBlocks and the records its next round is decided on.
struct OneCase : Fixture {
  PrecisionBlocks p{opts, plan};
  const PlannedCase& pc = plan.cases.at(0);
  std::vector<RunRecord> recs;
  std::vector<const Target*> next_round() { return p.next_round(pc, pc.runnable, recs, targets); }
};

// A precision round's run: on a held server, flagged so, at its place in the round.
bool has_flag_prefix(const RunRecord& r, const std::string& prefix) {
  for (const std::string& f : r.flags)
    if (f.rfind(prefix, 0) == 0) return true;
  return false;
}

RunRecord held(const std::string& target, uint32_t round, uint32_t slot, double cpu_us) {
  RunRecord r = timed(target, round, cpu_us);
  r.flags.emplace_back(kHeldRound);
  r.round_slot = slot;
  return r;
}

// One round: malloc, pool, malloc, arena, malloc, with pool's and arena's server CPU (malloc's 10).
void push_round(std::vector<RunRecord>& recs, uint32_t round, double pool, double arena) {
  recs.push_back(held("malloc", round, 1, 10));
  recs.push_back(held("pool", round, 2, pool));
  recs.push_back(held("malloc", round, 3, 10));
  recs.push_back(held("arena", round, 4, arena));
  recs.push_back(held("malloc", round, 5, 10));
}

// Before any round every variant takes part (never the peer); fresh blocks do not count, however
// precise: the rounds are what the variants' comparison comes from.
TEST(PrecisionBlocks, the_first_round_holds_every_variant_but_no_peer) {
  OneCase f;
  ASSERT_TRUE(f.p.applies(f.pc));
  for (uint32_t b = 1; b <= 3; ++b) {
    f.recs.push_back(timed("malloc", b, 10));
    f.recs.push_back(timed("pool", b, 9));
    f.recs.push_back(timed("arena", b, 9));
    f.recs.push_back(timed("beast", b, 30));
  }
  const auto round = f.next_round();
  ASSERT_EQ(round.size(), 2u);
  EXPECT_EQ(round[0]->name, "pool");
  EXPECT_EQ(round[1]->name, "arena");
}

// pool's ratio is steady (within ±5 %) after kMinRounds rounds, arena's is not: the next round is
// arena's only. Before kMinRounds, a steady variant stays in.
TEST(PrecisionBlocks, a_round_holds_the_variants_still_wider_than_the_target) {
  OneCase f;
  const double arena_noise[] = {0.8, 1.2, 0.9};
  for (uint32_t r = 1; r <= kMinRounds; ++r) {
    push_round(f.recs, r, 9, 10 * arena_noise[r - 1]);
    if (r == 2) {
      EXPECT_EQ(f.next_round().size(), 2u) << "two rounds are too few to leave";
    }
  }
  const auto round = f.next_round();
  ASSERT_EQ(round.size(), 1u);
  EXPECT_EQ(round[0]->name, "arena");
}

// A variant whose interval would need more than max_blocks rounds is given up, but only after
// kRoundsBeforeGivingUp: with fewer, Student's t makes any spread look hopeless.
TEST(PrecisionBlocks, a_variant_out_of_reach_is_given_up_after_enough_rounds) {
  OneCase f;
  const double wild[] = {0.3, 3.0, 0.4, 2.5, 0.5, 2.0};
  for (uint32_t r = 1; r <= kRoundsBeforeGivingUp; ++r) {
    // arena (steady) leaves after kMinRounds; pool stays until it is judged out of reach.
    EXPECT_EQ(f.next_round().size(), r <= kMinRounds ? 2u : 1u) << "round " << r;
    push_round(f.recs, r, 10 * wild[r - 1], 9);
  }
  EXPECT_TRUE(f.next_round().empty()) << "pool given up, arena within";
}

// The bracket: the malloc runs before and after a variant within ±kBracketLimit, or its run is not
// a block.
TEST(PrecisionBlocks, a_block_whose_malloc_runs_drift_apart_is_broken) {
  EXPECT_FALSE(bracket_broken(10.0, 10.6));
  EXPECT_FALSE(bracket_broken(10.0, 9.4));
  const auto why = bracket_broken(10.0, 11.5);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("x1.150"), std::string::npos) << *why;
  EXPECT_TRUE(bracket_broken(10.0, 8.9));
  EXPECT_TRUE(bracket_broken(0.0, 10.0));
}

// malloc opens the round (unless the last round's closing run does) and follows every variant.
TEST(PrecisionBlocks, malloc_stands_between_the_variants) {
  const Target m = testing::make_target("malloc", TargetKind::Variant), a = testing::make_target("a", TargetKind::Variant),
               b = testing::make_target("b", TargetKind::Variant), c = testing::make_target("c", TargetKind::Variant);
  auto names = [](const std::vector<const Target*>& order) {
    std::string s;
    for (const Target* t : order) s += (s.empty() ? "" : " ") + t->name;
    return s;
  };
  EXPECT_EQ(names(round_order(&m, {&a}, false)), "malloc a malloc");
  EXPECT_EQ(names(round_order(&m, {&c, &a, &b}, false)), "malloc c malloc a malloc b malloc");
  EXPECT_EQ(names(round_order(&m, {&c, &a, &b}, true)), "c malloc a malloc b malloc") << "chained: the last round's malloc opens it";
}

// The first round's servers are fresh: it keeps the case's warm-up; later rounds a short one.
TEST(PrecisionBlocks, rounds_take_short_windows_and_after_the_first_a_short_warm_up) {
  LoadSpec l;
  l.duration_s = 0.75;
  l.warmup_s = 0.2;
  EXPECT_DOUBLE_EQ(round_load(l, true).duration_s, kRoundWindowS);
  EXPECT_DOUBLE_EQ(round_load(l, true).warmup_s, 0.2);
  EXPECT_DOUBLE_EQ(round_load(l, false).warmup_s, kRoundWarmupS);
  l.rate = 20;  // open loop: kRoundMinSends sends at least
  EXPECT_DOUBLE_EQ(round_load(l, false).duration_s, kRoundMinSends / 20);
  l.duration_s = 0.1;
  EXPECT_DOUBLE_EQ(round_load(l, false).duration_s, 0.1) << "never longer than the case's window";
}

// A round of malloc, pool, malloc measured with these speed probes (ms, before and after each run)
// and server CPU per message; each run's core speed already judged against the bench run's median
// (as bench_run.cpp does before the round is judged): `slowdown` for all three.
std::vector<RunRecord> probed_round(std::array<double, 3> probe_ms, std::array<double, 3> cpu_us, double slowdown) {
  std::vector<RunRecord> round;
  const char* names[] = {"malloc", "pool", "malloc"};
  for (size_t i = 0; i < 3; ++i) {
    RunRecord r = held(names[i], 4, static_cast<uint32_t>(i + 1), cpu_us[i]);
    r.pass = RunPass::Time;
    r.disturbance = Disturbance{};
    r.disturbance->probe_before_ms = probe_ms[i];
    r.disturbance->probe_after_ms = probe_ms[i];
    r.disturbance->core_slowdown = slowdown;
    round.push_back(std::move(r));
  }
  return round;
}

// A phase that slows the core for the whole block slows malloc's runs as much as the variant's:
// the pairing cancels it, so the block stays, however slow the core was against the run's median.
TEST(PrecisionBlocks, a_core_slow_for_the_whole_block_keeps_the_block) {
  std::vector<RunRecord> round = probed_round({1.8, 1.85, 1.8}, {10, 8, 10}, 1.4);
  judge_round(round);
  EXPECT_EQ(round[1].status, RunStatus::Ok) << round[1].reason;
  ASSERT_TRUE(round[1].disturbance->core_slowdown);
  EXPECT_NEAR(*round[1].disturbance->core_slowdown, 1.85 / 1.8, 1e-9);
  EXPECT_TRUE(round[1].disturbance->slowdown_against_bracket);
  EXPECT_TRUE(has_flag_prefix(round[0], "disturbance (judged by the bracket)")) << "malloc's runs carry it as a flag";
  EXPECT_EQ(round[0].status, RunStatus::Ok);
}

// A core that ran slow around the variant's run alone is a disturbance of that run.
TEST(PrecisionBlocks, a_core_slow_around_the_variant_alone_leaves_it_out) {
  std::vector<RunRecord> round = probed_round({1.5, 2.0, 1.5}, {10, 8, 10}, 1.0);
  judge_round(round);
  EXPECT_EQ(round[1].status, RunStatus::Disturbed);
  EXPECT_NE(round[1].reason.find("malloc runs before and after"), std::string::npos) << round[1].reason;
  EXPECT_EQ(round[0].status, RunStatus::Ok);
  EXPECT_EQ(round[2].status, RunStatus::Ok);
}

// The limits are the run's (wsbench --max-server-wait and the like): a variant's run whose server
// waited 12 % of its window for its core is out of the round by default, in it under a 20 % limit.
TEST(PrecisionBlocks, the_round_is_judged_by_the_runs_disturbance_limits) {
  for (const double limit : {DisturbanceLimits{}.max_server_wait_share, 0.20}) {
    std::vector<RunRecord> round = probed_round({1.5, 1.5, 1.5}, {10, 8, 10}, 1.0);
    round[1].disturbance->server_wait_share = 0.12;
    DisturbanceLimits limits;
    limits.max_server_wait_share = limit;
    judge_round(round, limits);
    if (limit < 0.12) {
      EXPECT_EQ(round[1].status, RunStatus::Disturbed);
      EXPECT_NE(round[1].reason.find("waited 12.0 %"), std::string::npos) << round[1].reason;
    } else {
      EXPECT_EQ(round[1].status, RunStatus::Ok) << round[1].reason;
    }
  }
}

// The bracket and a round cut short: a variant without both malloc runs around it, measured and
// close, is no block.
TEST(PrecisionBlocks, a_variant_without_its_bracket_is_left_out) {
  std::vector<RunRecord> drifted = probed_round({1.5, 1.5, 1.5}, {10, 8, 11}, 1.0);
  judge_round(drifted);
  EXPECT_EQ(drifted[1].status, RunStatus::Disturbed);
  EXPECT_NE(drifted[1].reason.find("x1.100"), std::string::npos) << drifted[1].reason;

  std::vector<RunRecord> cut = probed_round({1.5, 1.5, 1.5}, {10, 8, 10}, 1.0);
  cut.pop_back();
  judge_round(cut);
  EXPECT_EQ(cut[1].status, RunStatus::Disturbed);
  EXPECT_NE(cut[1].reason.find("no malloc run after it"), std::string::npos) << cut[1].reason;
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
