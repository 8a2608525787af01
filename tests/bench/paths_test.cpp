#include "bench/paths.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(Paths, defaults_follow_the_executable_and_the_source_tree) {
  BenchPaths p = default_paths();
  EXPECT_TRUE(std::filesystem::exists(p.bin_dir));
  EXPECT_EQ(p.lib_dir, p.bin_dir.parent_path() / "lib");
  EXPECT_EQ(p.scenarios_dir, p.repo_root / "scenarios");
  EXPECT_EQ(p.results_dir, p.repo_root / "results");
  EXPECT_EQ(p.peers_dir, p.repo_root / ".peers");
  EXPECT_TRUE(std::filesystem::exists(p.scenarios_dir));
}

}  // namespace
}  // namespace wsalloc::bench
