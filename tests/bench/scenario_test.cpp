#include "bench/scenario.hpp"

#include <gtest/gtest.h>

#include <set>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

Scenario parse(const std::string& text, const std::string& name = "sample") {
  return parse_scenario_text(text, std::filesystem::path("scenarios") / (name + ".toml"));
}

// Returns the error (or fails the test when there is none).
ScenarioError parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const ScenarioError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return ScenarioError("none", 0, "none", "none");
}

TEST(Scenario, valid_file_takes_its_name_from_the_file_and_fills_defaults) {
  Scenario s = parse(R"(
description = "d"
kind = "echo"
[load]
connections = 7
payload = "64KiB"
)", "echo-x");
  EXPECT_EQ(s.name, "echo-x");
  EXPECT_EQ(s.kind, ScenarioKind::Echo);
  ASSERT_EQ(s.cases.size(), 1u);
  EXPECT_EQ(s.cases[0].name, "default");
  EXPECT_EQ(s.cases[0].load.connections, 7u);
  EXPECT_EQ(s.cases[0].load.payload, "64KiB");
  EXPECT_EQ(s.cases[0].load.pipeline, 1u);
  EXPECT_FALSE(s.quick.included);
  EXPECT_FALSE(s.cases[0].quick);
}

TEST(Scenario, case_tables_override_the_shared_load) {
  Scenario s = parse(R"(
description = "d"
kind = "echo"
[load]
connections = 10
payload = 32
[[case]]
name = "big"
payload = [32, "1MiB"]
weights = [9, 1]
[[case]]
name = "many"
connections = 500
)");
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].load.payload, "32,1MiB");
  EXPECT_EQ(s.cases[0].load.weights, "9,1");
  EXPECT_EQ(s.cases[0].load.connections, 10u);
  EXPECT_EQ(s.cases[1].load.connections, 500u);
  EXPECT_EQ(s.cases[1].load.payload, "32");
}

TEST(Scenario, quick_section_overrides_the_load_and_picks_cases) {
  Scenario s = parse(R"(
description = "d"
kind = "echo"
[load]
duration = 5
[quick]
duration = 1.5
repetitions = 2
cases = ["b"]
[[case]]
name = "a"
[[case]]
name = "b"
)");
  EXPECT_TRUE(s.quick.included);
  EXPECT_EQ(s.quick.repetitions, 2u);
  EXPECT_FALSE(s.cases[0].quick);
  EXPECT_TRUE(s.cases[1].quick);
  EXPECT_DOUBLE_EQ(s.cases[1].load.duration_s, 5);
  EXPECT_DOUBLE_EQ(s.cases[1].quick_load.duration_s, 1.5);
}

TEST(Scenario, latency_at_rate_gets_its_capacity_case_first) {
  Scenario s = parse(R"(
description = "d"
kind = "latency-at-rate"
capacity_from = "echo-small"
[[case]]
name = "50pct"
rate_fraction = 0.5
)");
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].name, "capacity");
  EXPECT_EQ(s.cases[0].load.rate_fraction, 0);
  EXPECT_DOUBLE_EQ(s.cases[1].load.rate_fraction, 0.5);
  EXPECT_EQ(s.capacity_from, "echo-small");
}

TEST(Scenario, broadcast_kind_needs_the_broadcast_feature_on_its_path) {
  Scenario s = parse(R"(
description = "d"
kind = "broadcast"
[load]
rate = 10
)");
  EXPECT_EQ(s.cases[0].load.path, "/broadcast");
  ASSERT_EQ(s.requires_.features.size(), 1u);
  EXPECT_EQ(s.requires_.features[0], "broadcast");
}

TEST(Scenario, unknown_key_is_an_error_naming_file_line_and_key) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n[load]\nconections = 10\n");
  EXPECT_EQ(e.line(), 4u);
  EXPECT_EQ(e.key(), "load.conections");
  EXPECT_NE(std::string(e.what()).find("sample.toml:4: key 'load.conections'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("unknown key"), std::string::npos);
}

TEST(Scenario, wrong_type_is_an_error_naming_line_and_key) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n\n[load]\npipeline = \"16\"\n");
  EXPECT_EQ(e.line(), 5u);
  EXPECT_EQ(e.key(), "load.pipeline");
  EXPECT_NE(std::string(e.what()).find("got a string"), std::string::npos) << e.what();
}

TEST(Scenario, out_of_range_value_is_an_error_with_the_value_and_limit) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n[load]\nconnections = 0\n");
  EXPECT_EQ(e.key(), "load.connections");
  EXPECT_NE(std::string(e.what()).find("0 is outside [1, 100000]"), std::string::npos) << e.what();
}

TEST(Scenario, bad_size_in_a_case_names_the_case_key) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n[[case]]\nname = \"x\"\npayload = \"12 apples\"\n");
  EXPECT_EQ(e.key(), "case.payload");
  EXPECT_EQ(e.line(), 5u);
}

TEST(Scenario, syntax_error_names_the_line) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n[load\nconnections = 1\n");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.key(), "(syntax)");
}

TEST(Scenario, missing_description_and_unknown_kind_are_errors) {
  EXPECT_EQ(parse_error("kind = \"echo\"\n").key(), "description");
  ScenarioError e = parse_error("description = \"d\"\nkind = \"ecko\"\n");
  EXPECT_EQ(e.key(), "kind");
  EXPECT_EQ(e.line(), 2u);
}

TEST(Scenario, kind_rules_reject_contradictions_naming_the_key) {
  EXPECT_EQ(parse_error("description = \"d\"\nkind = \"churn\"\n").key(), "load.churn");
  ScenarioError open_and_closed = parse_error("description = \"d\"\nkind = \"echo\"\n[load]\nrate = 5\npipeline = 4\n");
  EXPECT_EQ(open_and_closed.key(), "load.pipeline");
  EXPECT_EQ(open_and_closed.line(), 3u);
  ScenarioError no_fraction = parse_error("description = \"d\"\nkind = \"latency-at-rate\"\n[[case]]\nname = \"a\"\n");
  EXPECT_EQ(no_fraction.key(), "case.rate_fraction");
  EXPECT_EQ(no_fraction.line(), 3u);
  EXPECT_NE(std::string(no_fraction.what()).find("case 'a'"), std::string::npos);
  EXPECT_EQ(parse_error("description = \"d\"\nkind = \"executor\"\n[[case]]\nname = \"a\"\n").key(), "case.server_args");
  EXPECT_EQ(parse_error("description = \"d\"\nkind = \"echo\"\ncapacity_from = \"x\"\n").key(), "capacity_from");
}

TEST(Scenario, requires_table_is_read_and_every_value_checked_naming_line_and_key) {
  Scenario s = parse("description = \"d\"\nkind = \"executor\"\n[requires]\nraw = true\nserver_flags = [\"--executor\"]\n"
                     "targets = [\"variant\", \"user\"]\n[[case]]\nname = \"x\"\nserver_args = [\"--executor\", \"inline\"]\n");
  EXPECT_TRUE(s.requires_.raw);
  EXPECT_EQ(s.requires_.server_flags, (std::vector<std::string>{"--executor"}));
  EXPECT_EQ(s.requires_.target_kinds, (std::vector<std::string>{"variant", "user"}));

  const std::string head = "description = \"d\"\nkind = \"echo\"\n[requires]\n";
  ScenarioError feature = parse_error(head + "features = [\"broadcast\", \"telepathy\"]\n");
  EXPECT_EQ(feature.key(), "requires.features");
  EXPECT_EQ(feature.line(), 4u);
  EXPECT_NE(std::string(feature.what()).find("unknown feature \"telepathy\" (known: broadcast)"), std::string::npos) << feature.what();
  ScenarioError flag = parse_error(head + "server_flags = [\"executor\"]\n");
  EXPECT_EQ(flag.key(), "requires.server_flags");
  EXPECT_NE(std::string(flag.what()).find("\"executor\" is not a --flag"), std::string::npos) << flag.what();
  ScenarioError kind = parse_error(head + "targets = [\"robot\"]\n");
  EXPECT_EQ(kind.key(), "requires.targets");
  EXPECT_NE(std::string(kind.what()).find("unknown target kind \"robot\""), std::string::npos) << kind.what();
  EXPECT_EQ(parse_error(head + "rawr = true\n").key(), "requires.rawr");
}

TEST(Scenario, quick_cases_must_exist) {
  ScenarioError e = parse_error("description = \"d\"\nkind = \"echo\"\n[quick]\ncases = [\"nope\"]\n");
  EXPECT_EQ(e.key(), "quick.cases");
  EXPECT_EQ(e.line(), 4u);
}

TEST(Scenario, load_scenarios_throws_for_a_broken_file_or_collects_it) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "good.toml", "description = \"d\"\nkind = \"echo\"\n");
  testing::write_file(dir.path() / "bad.toml", "description = \"d\"\nkind = \"echo\"\nbogus = 1\n");
  EXPECT_THROW(load_scenarios(dir.path()), ScenarioError);
  std::vector<std::string> errors;
  auto good = load_scenarios(dir.path(), &errors);
  ASSERT_EQ(good.size(), 1u);
  EXPECT_EQ(good[0].name, "good");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("bad.toml:3: key 'bogus'"), std::string::npos) << errors[0];
}

TEST(Scenario, selection_matches_names_and_globs) {
  Scenario s = parse("description = \"d\"\nkind = \"echo\"\n", "echo-small");
  EXPECT_TRUE(scenario_selected(s, ""));
  EXPECT_TRUE(scenario_selected(s, "echo-*"));
  EXPECT_TRUE(scenario_selected(s, "idle-10k,echo-small"));
  EXPECT_FALSE(scenario_selected(s, "echo-text"));
}

TEST(Scenario, load_shape_ignores_window_and_rate) {
  LoadSpec a, b;
  b.duration_s = 9;
  b.warmup_s = 3;
  b.rate_fraction = 0.5;
  EXPECT_TRUE(same_load_shape(a, b));
  b.connections = 7;
  EXPECT_FALSE(same_load_shape(a, b));
}

// The repository's own scenario files: every one the issue lists exists and parses.
TEST(Scenario, every_repository_scenario_parses) {
  const std::filesystem::path dir = std::filesystem::path(WSALLOC_SOURCE_DIR) / "scenarios";
  std::vector<Scenario> all = load_scenarios(dir);
  std::set<std::string> names;
  for (const Scenario& s : all) names.insert(s.name);
  for (const char* want : {"echo-small", "echo-pipelined", "echo-text", "echo-large", "fragmented", "mixed-sizes", "churn",
                           "idle-10k", "latency-at-rate", "broadcast", "executor"}) {
    EXPECT_TRUE(names.count(want)) << want << " missing from " << dir;
  }
  size_t quick = 0;
  for (const Scenario& s : all) quick += s.quick.included;
  EXPECT_GE(quick, 4u) << "the --quick set should cover a representative subset";
}

}  // namespace
}  // namespace wsalloc::bench
