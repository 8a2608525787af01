#include "bench/list_command.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/bench_run.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using testing::temp_paths;

TEST(ListCommand, json_lists_scenarios_and_unavailable_targets_with_reasons) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  ::testing::internal::CaptureStdout();
  int rc = list_command(temp_paths(dir), ListOptions{false, true});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, kExitOk);
  nlohmann::json j = nlohmann::json::parse(out);
  ASSERT_EQ(j["scenarios"].size(), 1u);
  EXPECT_EQ(j["scenarios"][0]["name"], "echo-small");
  bool saw_beast = false;
  for (const auto& t : j["targets"]) {
    if (t["name"] == "beast") {
      saw_beast = true;
      EXPECT_EQ(t["available"], false);
      EXPECT_TRUE(t["reason"].is_string());
    }
  }
  EXPECT_TRUE(saw_beast);
}

TEST(ListCommand, a_broken_scenario_is_shown_and_fails_the_exit_code) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "bad.toml", "description = \"d\"\nkind = \"echo\"\n[load]\nspeed = 3\n");
  ::testing::internal::CaptureStdout();
  int rc = list_command(temp_paths(dir), ListOptions{false, false});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(out.find("BROKEN: "), std::string::npos) << out;
  EXPECT_NE(out.find("bad.toml:4: key 'load.speed'"), std::string::npos) << out;
}

TEST(ListCommand, a_target_file_of_your_own_is_listed_with_its_availability_and_a_broken_one_is_shown) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  testing::write_file(dir.path() / "mine.toml", "description = \"my server\"\ncommand = [\"{dir}/not-there\", \"{port}\"]\n"
                                                "[requires]\nprogram = \"build it first\"\n[ready]\nport = true\n");
  testing::write_file(dir.path() / "broken.toml", "description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nport = true\ncolour = 1\n");
  ListOptions o{false, false};
  o.target_files = {(dir.path() / "mine.toml").string(), (dir.path() / "broken.toml").string()};
  ::testing::internal::CaptureStdout();
  int rc = list_command(temp_paths(dir), o);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(out.find("mine             user      UNAVAILABLE: " + (dir.path() / "not-there").string() + " missing: build it first"),
            std::string::npos) << out;
  EXPECT_NE(out.find("BROKEN: " + (dir.path() / "broken.toml").string() + ":5: key 'ready.colour': unknown key"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace wsalloc::bench
