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

TEST(CaseGate, a_case_flag_missing_from_a_peers_help_is_a_skip_with_the_flag_named) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario(R"(
description = "d"
kind = "echo"
[[case]]
name = "takeover"
server_args = ["--deflate"]
[[case]]
name = "no-takeover"
server_args = ["--deflate", "--deflate-server-no-context-takeover", "--deflate-level", "6"]
)");
  Target peer;
  peer.name = "websocketpp";
  peer.kind = TargetKind::Peer;
  peer.takes_server_args = true;
  peer.argv = {testing::write_script(dir.path() / "fake-peer", "echo '  --deflate   accept permessage-deflate'").string()};
  EXPECT_FALSE(gate.check(s, s.cases[0], peer));
  auto r = gate.check(s, s.cases[1], peer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("--help lists no --deflate-server-no-context-takeover"), std::string::npos) << r->reason;
}

TEST(CaseGate, help_flags_match_as_whole_words) {
  const std::string help = "  --deflate-level INT   level\n  --port,-p INT\n[--deflate-x]";
  EXPECT_FALSE(help_lists_flag(help, "--deflate"));
  EXPECT_TRUE(help_lists_flag(help, "--deflate-level"));
  EXPECT_TRUE(help_lists_flag(help, "--port"));
  EXPECT_TRUE(help_lists_flag(help, "--deflate-x"));
  EXPECT_FALSE(help_lists_flag(help, "--deflate-l"));
}

TEST(CaseGate, feature_probe_failure_is_a_skip_never_a_pass) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario("description = \"d\"\nkind = \"broadcast\"\n[load]\nrate = 10\n");
  Target t;
  t.name = "dead";
  t.broadcast_path = "/broadcast";
  t.argv = {testing::write_script(dir.path() / "dead-server", "echo 'cannot start' >&2; exit 1").string()};
  auto r = gate.check(s, s.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("broadcast probe failed"), std::string::npos) << r->reason;
}

TEST(CaseGate, a_target_without_a_broadcast_path_is_skipped_without_starting_it) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario s = scenario("description = \"d\"\nkind = \"broadcast\"\n[load]\nrate = 10\n");
  Target t;
  t.name = "echo-only";
  t.source = "targets/echo-only.toml";
  t.argv = {"/nonexistent/would-fail-if-started"};
  auto r = gate.check(s, s.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_EQ(r->reason, "serves no broadcast path ([serves] broadcast in targets/echo-only.toml)");
}

TEST(CaseGate, declared_capabilities_skip_the_cases_a_target_cannot_echo) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario text = scenario("description = \"d\"\nkind = \"echo\"\n[load]\ntext = true\n");
  Scenario frag = scenario("description = \"d\"\nkind = \"echo\"\n[load]\nfragments = 4\n");
  Scenario binary = scenario("description = \"d\"\nkind = \"echo\"\n");
  Scenario idle = scenario("description = \"d\"\nkind = \"idle\"\n");
  Target t;
  t.name = "picky";
  t.echoes_text = false;
  t.reassembles_fragments = false;
  auto r = gate.check(text, text.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_NE(r->reason.find("echoes binary messages only (capabilities.text = false)"), std::string::npos) << r->reason;
  r = gate.check(frag, frag.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_NE(r->reason.find("does not reassemble fragmented messages"), std::string::npos) << r->reason;
  EXPECT_FALSE(gate.check(binary, binary.cases[0], t));
  Target text_only;
  text_only.echoes_binary = false;
  r = gate.check(binary, binary.cases[0], text_only);
  ASSERT_TRUE(r);
  EXPECT_NE(r->reason.find("echoes text messages only"), std::string::npos) << r->reason;
  EXPECT_FALSE(gate.check(idle, idle.cases[0], text_only));  // idle sends no messages
}

TEST(CaseGate, a_target_files_skip_table_matches_scenario_and_case_globs) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Scenario big = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n[[case]]\nname = \"1MiB\"\n[[case]]\nname = \"64KiB\"\n",
                                     "scenarios/echo-large.toml");
  Target t;
  t.name = "small-frames";
  t.skip = {{"echo-large/1MiB", "max message 256 KiB"}};
  auto r = gate.check(big, big.cases[0], t);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, RunStatus::Skipped);
  EXPECT_EQ(r->reason, "its target file skips \"echo-large/1MiB\": max message 256 KiB");
  EXPECT_FALSE(gate.check(big, big.cases[1], t));
  t.skip = {{"echo-*", "echo is not its job"}};
  EXPECT_TRUE(gate.check(big, big.cases[1], t));
}

TEST(CaseGate, an_external_target_runs_echo_but_not_broadcast_or_server_flags) {
  testing::TempDir dir;
  CaseGate gate("127.0.0.1", dir.path());
  Target t;
  t.name = "far";
  t.kind = TargetKind::External;
  Scenario echo = scenario("description = \"d\"\nkind = \"echo\"\n");
  Scenario bcast = scenario("description = \"d\"\nkind = \"broadcast\"\n[load]\nrate = 10\n");
  Scenario exec = scenario("description = \"d\"\nkind = \"executor\"\n[[case]]\nname = \"x\"\nserver_args = [\"--x\"]\n");
  EXPECT_FALSE(gate.check(echo, echo.cases[0], t));
  auto b = gate.check(bcast, bcast.cases[0], t);
  ASSERT_TRUE(b);
  EXPECT_NE(b->reason.find("a --target-url target serves its URL's path only"), std::string::npos) << b->reason;
  auto e = gate.check(exec, exec.cases[0], t);
  ASSERT_TRUE(e);
  EXPECT_NE(e->reason.find("not started by wsbench"), std::string::npos) << e->reason;
}

}  // namespace
}  // namespace wsalloc::bench
