#include "bench/case_gate.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

Scenario scenario(const std::string& text) { return parse_scenario_text(text, "scenarios/s.toml"); }

TEST(CaseGate, unavailable_target_is_recorded_with_its_reason) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario("description = \"d\"\nkind = \"echo\"\n");
  Target t;
  t.name = "bun";
  t.available = false;
  t.reason = "not installed";
  auto r = gate.check(s, s.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Unavailable);
  EXPECT_EQ(r->reason, "not installed");
}

TEST(CaseGate, raw_echo_runs_only_scenarios_that_allow_it) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Target raw;
  raw.name = "rawecho";
  raw.kind = TargetKind::Raw;
  raw.raw_tcp = true;
  Scenario framed = scenario("description = \"d\"\nkind = \"echo\"\n[load]\nfragments = 4\n");
  auto r = gate.check(framed, framed.cases[0], raw);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("raw TCP"), std::string::npos);
  Scenario plain = scenario("description = \"d\"\nkind = \"echo\"\n[requires]\nraw = true\n");
  EXPECT_FALSE(gate.check(plain, plain.cases[0], raw));
}

TEST(CaseGate, target_kind_restriction_is_a_skip_with_reason) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario("description = \"d\"\nkind = \"echo\"\n[requires]\ntargets = [\"variant\"]\n");
  Target peer;
  peer.name = "beast";
  peer.kind = TargetKind::Peer;
  auto r = gate.check(s, s.cases[0], peer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("variant targets only"), std::string::npos) << r->reason;
}

TEST(CaseGate, missing_server_flag_is_probed_in_help_and_reported) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario(R"(
description = "d"
kind = "executor"
needs = "an executor flag"
[requires]
server_flags = ["--executor"]
[[case]]
name = "inline"
server_args = ["--executor", "inline"]
)");
  Target t;
  t.name = "malloc";
  t.takes_server_args = true;
  t.argv = {testing::write_script(dir.path() / "fake-server", "echo '  --variant TEXT   memory variant'").string()};
  auto r = gate.check(s, s.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("--help lists no --executor"), std::string::npos) << r->reason;

  Target has;
  has.name = "future";
  has.takes_server_args = true;
  has.argv = {testing::write_script(dir.path() / "fake-server-2", "echo '  --executor TEXT  inline or pool'").string()};
  EXPECT_FALSE(gate.check(s, s.cases[0], has));

  Target peer;
  peer.name = "beast";
  auto p = gate.check(s, s.cases[0], peer);
  ASSERT_TRUE(p);
  EXPECT_NE(p->reason.find("takes no server flags"), std::string::npos);
}

TEST(CaseGate, feature_probe_failure_is_a_skip_never_a_pass) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario("description = \"d\"\nkind = \"broadcast\"\n[load]\nrate = 10\n");
  Target t;
  t.name = "dead";
  t.argv = {testing::write_script(dir.path() / "dead-server", "echo 'cannot start' >&2; exit 1").string()};
  auto r = gate.check(s, s.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("broadcast probe failed"), std::string::npos) << r->reason;
}

}  // namespace
}  // namespace wsalloc::bench
