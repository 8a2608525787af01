#include "bench/environment.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

TEST(Environment, meta_names_the_machine_and_the_build) {
  nlohmann::json m = collect_meta(WSALLOC_SOURCE_DIR);
  EXPECT_FALSE(m["cpu"]["model"].get<std::string>().empty());
  EXPECT_GE(m["cpu"]["cores"].get<int>(), 1);
  EXPECT_FALSE(m["kernel"].get<std::string>().empty());
  EXPECT_FALSE(m["glibc"].get<std::string>().empty());
  EXPECT_NE(m["build"]["compiler"].get<std::string>(), "unknown");
  EXPECT_TRUE(m["git"]["dirty"].is_boolean());
  EXPECT_TRUE(m["load_average"]["end"].is_null());
  finish_meta(m);
  EXPECT_EQ(m["load_average"]["end"].size(), 3u);
  EXPECT_EQ(m["date_utc"].get<std::string>().back(), 'Z');
}

TEST(Environment, outside_a_checkout_the_sha_is_unknown_not_invented) {
  testing::TempDir dir;
  GitState g = git_state(dir.path());
  EXPECT_EQ(g.sha, "unknown");
  EXPECT_FALSE(g.dirty);
}

TEST(Environment, load_average_has_three_numbers) {
  nlohmann::json l = load_average();
  ASSERT_TRUE(l.is_array());
  EXPECT_EQ(l.size(), 3u);
}

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

TEST(Environment, a_busy_machine_is_warned_about) {
  nlohmann::json meta = {{"load_average", {{"start", {3.1, 4.8, 6.8}}}}, {"cpu", {{"online", 2}}}};
  auto w = machine_warnings(meta);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("load average 3.10 at the start on 2 cores"), std::string::npos) << w[0];
  meta["load_average"]["start"] = {0.2, 0.1, 0.1};
  EXPECT_TRUE(machine_warnings(meta).empty());
}

}  // namespace
}  // namespace wsalloc::bench
