#include "bench/run_plan.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

Target variant(const std::string& name) {
  Target t;
  t.name = name;
  t.kind = TargetKind::Variant;
  return t;
}

const CaseCheck kAllRun = [](const Scenario&, const Case&, const Target&) { return std::optional<Refusal>(); };

TEST(RunPlan, counts_timed_runs_the_repeated_reference_and_two_counting_runs_per_runnable_target) {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n[load]\nduration = 2\nwarmup = 0.5\n", "scenarios/e.toml");
  const std::vector<Target> targets = {variant("malloc"), variant("zerocopy"), variant("broken")};
  RunOptions o;
  o.repetitions = 3;
  o.count_duration_s = 1.0;
  const CaseCheck refuse_broken = [](const Scenario&, const Case&, const Target& t) {
    return t.name == "broken" ? std::optional<Refusal>(Refusal{RunStatus::Unavailable, "not built"}) : std::nullopt;
  };
  const RunPlan plan = plan_run({&s}, targets, o, "/lib/libcounter.so", refuse_broken);
  ASSERT_EQ(plan.cases.size(), 1u);
  const PlannedCase& pc = plan.cases[0];
  ASSERT_EQ(pc.runnable.size(), 2u);
  ASSERT_EQ(pc.refused.size(), 1u);
  EXPECT_EQ(pc.refused[0].first->name, "broken");
  EXPECT_EQ(pc.refused[0].second.reason, "not built");
  EXPECT_EQ(pc.repetitions, 3u);
  // 2 targets x 3 repetitions, malloc once more per block (A′), 2 counting runs per target.
  EXPECT_EQ(plan.total_runs, 2u * 3 + 3 + 2 * 2);
  EXPECT_DOUBLE_EQ(plan.planned_load_s, (2 * 3 + 3) * 2.5 + 2 * 2 * 1.5);
}

// The variants' counts should read 0 allocations per message, and an arena's early growth (about
// 20 allocations) over a 0.5-s window read 0.00103, past the 0.001 that counts as none: they keep
// the whole counting window when the case's is shorter. Other targets take the shorter one.
TEST(RunPlan, the_variants_keep_the_whole_counting_window_when_the_case_is_shorter) {
  LoadSpec quick;
  quick.duration_s = 0.4;
  Target peer = variant("beast");
  peer.kind = TargetKind::Peer;
  EXPECT_DOUBLE_EQ(count_window_s(quick, variant("arena"), 1.0), 1.0);
  EXPECT_DOUBLE_EQ(count_window_s(quick, peer, 1.0), 0.4);
  LoadSpec full;
  full.duration_s = 5;
  EXPECT_DOUBLE_EQ(count_window_s(full, variant("arena"), 1.0), 1.0);
  EXPECT_DOUBLE_EQ(count_window_s(full, peer, 1.0), 1.0);
}

TEST(RunPlan, no_counter_library_or_no_count_means_no_counting_runs) {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/e.toml");
  const std::vector<Target> targets = {variant("zerocopy")};
  RunOptions o;
  o.repetitions = 2;
  EXPECT_EQ(plan_run({&s}, targets, o, "", kAllRun).total_runs, 2u);
  o.count_pass = false;
  EXPECT_EQ(plan_run({&s}, targets, o, "/lib/libcounter.so", kAllRun).total_runs, 2u);
  o.count_pass = true;
  EXPECT_EQ(plan_run({&s}, targets, o, "/lib/libcounter.so", kAllRun).total_runs, 4u);
}

TEST(RunPlan, latency_at_rate_takes_its_capacity_from_an_earlier_scenario_with_the_same_load_shape) {
  const std::string load = "[load]\nconnections = 100\npipeline = 1\npayload = 32\n";
  Scenario echo = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n" + load, "scenarios/echo-small.toml");
  Scenario rate = parse_scenario_text("description = \"d\"\nkind = \"latency-at-rate\"\ncapacity_from = \"echo-small\"\n" + load +
                                          "[[case]]\nname = \"50pct\"\nrate_fraction = 0.5\n",
                                      "scenarios/latency-at-rate.toml");
  const std::vector<Target> targets = {variant("zerocopy")};
  RunOptions o;
  o.repetitions = 1;
  const RunPlan with_echo = plan_run({&echo, &rate}, targets, o, "", kAllRun);
  ASSERT_EQ(with_echo.cases.size(), 2u);  // echo-small, 50pct: the capacity case is measured by echo-small
  EXPECT_EQ(with_echo.cases[1].kase->name, "50pct");
  EXPECT_EQ(with_echo.cases[1].capacity_source, "echo-small");

  const RunPlan alone = plan_run({&rate}, targets, o, "", kAllRun);
  ASSERT_EQ(alone.cases.size(), 2u);  // capacity, 50pct
  EXPECT_EQ(alone.cases[0].kase->name, "capacity");
  EXPECT_EQ(alone.cases[1].capacity_source, "latency-at-rate/capacity");

  o.connections = 10;  // overrides apply to both, so the shapes still match
  EXPECT_EQ(plan_run({&echo, &rate}, targets, o, "", kAllRun).cases[1].capacity_source, "echo-small");
}

TEST(RunPlan, resolve_load_applies_quick_then_the_command_line_overrides) {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n[load]\nduration = 5\nwarmup = 1\nconnections = 50\n"
                                   "[quick]\nduration = 1\n",
                                   "scenarios/e.toml");
  RunOptions o;
  o.quick = true;
  EXPECT_DOUBLE_EQ(resolve_load(s.cases[0], o).duration_s, 1);
  o.warmup_s = 0.25;
  o.connections = 7;
  const LoadSpec l = resolve_load(s.cases[0], o);
  EXPECT_DOUBLE_EQ(l.warmup_s, 0.25);
  EXPECT_EQ(l.connections, 7u);
  o.quick = false;
  o.duration_s = 3;
  EXPECT_DOUBLE_EQ(resolve_load(s.cases[0], o).duration_s, 3);
}

}  // namespace
}  // namespace wsalloc::bench
