#include "bench/gate/gate_base.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "bench/child_process.hpp"

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A throw-away repository: c1 <- c2 on main; feature branches from c1 with c3.
class GateBase : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gate-base-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    repo_ = dir_ / "repo";
    fs::create_directories(repo_);
    sh("git init -q -b main . && git config user.email t@t && git config user.name t");
    c1_ = commit("one");
    c2_ = commit("two");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void sh(const std::string& cmd, const fs::path& cwd = {}) {
    const std::string full = "cd '" + (cwd.empty() ? repo_ : cwd).string() + "' && " + cmd + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(full.c_str()), 0) << full;
  }
  std::string commit(const std::string& text) {
    std::ofstream(repo_ / "file.txt") << text << "\n";
    sh("git add file.txt && git commit -q -m " + text);
    auto [st, out] = run_capture({"git", "-C", repo_.string(), "rev-parse", "HEAD"}, 5000ms);
    return out.substr(0, 40);
  }
  static GateDoc baseline_naming(const std::string& sha, bool dirty = false) {
    GateDoc d;
    d.meta["git"] = {{"sha", sha}, {"short", sha.substr(0, 7)}, {"dirty", dirty}};
    return d;
  }

  fs::path dir_, repo_;
  std::string c1_, c2_;
};

TEST_F(GateBase, explicit_revision_wins) {
  const BaseChoice c = choose_base(repo_, "HEAD~1", baseline_naming(c2_));
  EXPECT_EQ(c.sha, c1_);
  EXPECT_EQ(c.source, "--ab-base HEAD~1");
}

TEST_F(GateBase, explicit_revision_that_is_no_commit_says_so) {
  const BaseChoice c = choose_base(repo_, "no-such-rev", baseline_naming(c1_));
  EXPECT_TRUE(c.sha.empty());
  EXPECT_NE(c.why_none.find("--ab-base no-such-rev: not a commit"), std::string::npos) << c.why_none;
}

TEST_F(GateBase, baseline_commit_is_the_default) {
  const BaseChoice c = choose_base(repo_, "", baseline_naming(c1_));
  EXPECT_EQ(c.sha, c1_);
  EXPECT_EQ(c.source, "results/baseline.json");
  EXPECT_TRUE(c.warnings.empty());
}

// A branch measures its baseline before the merge and names a commit of main as the A/B base
// (--update-baseline --ab-base main): that name wins over the measured HEAD, which a rebase replaces.
TEST_F(GateBase, baseline_naming_an_ab_base_wins_over_its_measured_commit) {
  sh("git checkout -q -b feature " + c2_);
  const std::string c3 = commit("three");
  GateDoc d = baseline_naming(c3, /*dirty=*/true);
  d.meta["gate"] = {{"ab_base", c2_}};
  const BaseChoice c = choose_base(repo_, "", d);
  EXPECT_EQ(c.sha, c2_);
  EXPECT_EQ(c.source, "results/baseline.json");
  EXPECT_TRUE(c.warnings.empty()) << "the dirty measurement is not the base's business here";
}

TEST_F(GateBase, a_branch_commit_is_not_on_main_and_main_commits_are) {
  sh("git checkout -q -b feature " + c1_);
  const std::string c3 = commit("three");
  EXPECT_FALSE(on_main(repo_, c3));
  EXPECT_TRUE(on_main(repo_, c1_));
  EXPECT_TRUE(on_main(repo_, c2_));
  EXPECT_EQ(resolve_commit(repo_, "main"), c2_);
  EXPECT_EQ(resolve_commit(repo_, "no-such-rev"), "");
}

TEST_F(GateBase, baseline_of_a_dirty_tree_warns) {
  const BaseChoice c = choose_base(repo_, "", baseline_naming(c1_, /*dirty=*/true));
  EXPECT_EQ(c.sha, c1_);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("dirty tree"), std::string::npos) << c.warnings[0];
}

TEST_F(GateBase, unknown_baseline_commit_falls_back_to_the_merge_base) {
  sh("git checkout -q -b feature " + c1_);
  commit("three");
  const BaseChoice c = choose_base(repo_, "", baseline_naming("1111111111111111111111111111111111111111"));
  EXPECT_EQ(c.sha, c1_);
  EXPECT_EQ(c.source, "merge-base with main");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("not in this clone"), std::string::npos) << c.warnings[0];
}

TEST_F(GateBase, unknown_baseline_commit_on_main_finds_no_base_and_says_what_to_do) {
  const BaseChoice c = choose_base(repo_, "", baseline_naming("1111111111111111111111111111111111111111"));
  EXPECT_TRUE(c.sha.empty());
  EXPECT_NE(c.why_none.find("1111111111, which is not in this clone"), std::string::npos) << c.why_none;
  EXPECT_NE(c.why_none.find("the merge base with main is HEAD itself"), std::string::npos) << c.why_none;
  EXPECT_NE(c.why_none.find("--ab-base"), std::string::npos) << c.why_none;
}

TEST_F(GateBase, shallow_clone_is_named_as_the_reason) {
  const fs::path shallow = dir_ / "shallow";
  sh("git clone -q --depth 1 'file://" + repo_.string() + "' '" + shallow.string() + "'", dir_);
  const BaseChoice c = choose_base(shallow, "", baseline_naming(c1_));
  EXPECT_TRUE(c.sha.empty());
  EXPECT_NE(c.why_none.find("shallow clone"), std::string::npos) << c.why_none;
  EXPECT_NE(c.why_none.find("is HEAD itself"), std::string::npos) << c.why_none;
}

// The build script's outcome, with a stand-in script (the real one is exercised by `make gate`).
class GateBaseBuild : public GateBase {
 protected:
  BaseBuild build_with(const std::string& body) {
    const fs::path script = dir_ / "fake-build.sh";
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    BaseBuildSpec spec;
    spec.repo = repo_;
    spec.sha = c1_;
    spec.dir = dir_ / "gate-base";
    spec.script = script;
    spec.workdir = dir_;
    spec.cmake_args = {"-DCMAKE_BUILD_TYPE=Release"};
    return build_base(spec);
  }
};

TEST_F(GateBaseBuild, script_printing_the_server_path_is_a_build) {
  std::ofstream(dir_ / "server") << "x";
  const BaseBuild b = build_with("echo building >&2; echo " + (dir_ / "server").string());
  EXPECT_TRUE(b.ok) << b.reason;
  EXPECT_EQ(b.server, dir_ / "server");
  EXPECT_FALSE(b.reused);
}

TEST_F(GateBaseBuild, failing_script_is_a_reason_quoting_its_last_line) {
  const BaseBuild b = build_with("echo 'build-base: cmake configure of abc failed' >&2; exit 1");
  EXPECT_FALSE(b.ok);
  EXPECT_NE(b.reason.find("exit 1"), std::string::npos) << b.reason;
  EXPECT_NE(b.reason.find("cmake configure of abc failed"), std::string::npos) << b.reason;
}

TEST_F(GateBaseBuild, earlier_build_of_the_same_commit_is_reused) {
  fs::create_directories(dir_ / "gate-base/src");
  fs::create_directories(dir_ / "gate-base/build/bin");
  std::ofstream(dir_ / "gate-base/src/.wsalloc-base-sha") << c1_ << "\n";
  std::ofstream(dir_ / "gate-base/build/bin/wsalloc-server") << "x";
  const BaseBuild b = build_with("echo " + (dir_ / "gate-base/build/bin/wsalloc-server").string());
  EXPECT_TRUE(b.ok);
  EXPECT_TRUE(b.reused);
}

TEST(GateBaseArgs, base_is_configured_like_this_build) {
  const auto args = candidate_cmake_args();
  ASSERT_FALSE(args.empty());
  EXPECT_EQ(args[0].rfind("-DCMAKE_BUILD_TYPE=", 0), 0u);
  EXPECT_TRUE(fs::exists(default_build_base_script())) << default_build_base_script();
}

}  // namespace
}  // namespace wsalloc::bench::gate
