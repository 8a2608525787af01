#include "bench/gate/gate_ab.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "bench/gate/gate_measure.hpp"

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;

// The real servers and wsload, briefly and unpinned (this checks the mechanics, never a speed:
// base and candidate are the same binary here).
class GateAb : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gate-ab-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    o_.base_server = WSALLOC_SERVER_BIN;
    o_.candidate_server = WSALLOC_SERVER_BIN;
    o_.wsload = WSLOAD_BIN;
    o_.variants = {"zerocopy", "malloc"};
    o_.settings.min_blocks = 2;
    o_.settings.max_blocks = 2;
    o_.settings.messages = 2000;
    o_.seed = 7;
    o_.pin = false;
    o_.workdir = dir_;
    session_.variants = o_.variants;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  AbOptions o_;
  AbSession session_;
};

// A pair is the kept one of its block when it is the block's last attempt (the next pair is
// another block's, or there is none).
bool kept_pair(const std::vector<AbRun>& runs, size_t i) {
  return i + 2 >= runs.size() || runs[i + 2].variant != runs[i].variant || runs[i + 2].block != runs[i].block;
}

TEST_F(GateAb, measures_paired_blocks_of_server_cpu_per_message) {
  const AbSession s = run_ab(o_, session_);
  ASSERT_EQ(s.status, AbStatus::Done) << s.reason;
  EXPECT_EQ(s.seed, 7u);
  for (const std::string& v : o_.variants) {
    ASSERT_EQ(s.blocks.at(v).size(), 2u) << v;
    for (const compare::Block& b : s.blocks.at(v)) {
      EXPECT_GT(b.target, 0);
      EXPECT_GT(b.reference, 0);
    }
  }
  // How many runs depends on the machine: a pair the hypervisor stole from is measured again (the
  // next test), so 2 blocks x 2 variants x (base, candidate), and two more per pair redone.
  ASSERT_EQ(s.runs.size(), 8u + 2u * static_cast<size_t>(s.redone_pairs));
  for (size_t i = 0; i + 1 < s.runs.size(); i += 2) {
    const AbRun &a = s.runs[i], &b = s.runs[i + 1];
    EXPECT_EQ(a.variant, b.variant) << "base and candidate side by side";
    EXPECT_EQ(a.block, b.block);
    EXPECT_EQ(a.attempt, b.attempt);
    EXPECT_NE(a.build, b.build);
    for (const AbRun& r : {a, b}) {
      EXPECT_EQ(r.window_ns.size(), 4u) << "four measured windows a side, after the warm-up";
      EXPECT_EQ(r.messages, 4u * 2000u) << "each window the settings' fixed work";
      EXPECT_GT(r.run_ns, 0u);
      EXPECT_GT(r.wall_s, 0.0);
    }
  }
  // Balanced: for each variant, one kept block ran the base first and the other the candidate first.
  for (const std::string& v : o_.variants) {
    std::vector<std::string> firsts;
    for (size_t i = 0; i + 1 < s.runs.size(); i += 2)
      if (s.runs[i].variant == v && kept_pair(s.runs, i)) firsts.push_back(s.runs[i].build);
    ASSERT_EQ(firsts.size(), 2u);
    EXPECT_NE(firsts[0], firsts[1]) << v;
  }
  EXPECT_TRUE(s.workload.contains("wsload"));
}

// Steal is never below 0, so with a limit of -1 % every pair is disturbed: each is measured again,
// up to three attempts, and the last one counts (a machine that is always stolen from still gets
// its blocks, and the session says how many pairs it redid).
TEST_F(GateAb, a_pair_with_steal_over_the_limit_is_measured_again_up_to_three_times) {
  o_.variants = {"malloc"};
  session_.variants = o_.variants;
  o_.settings.max_steal_pct = -1;
  const AbSession s = run_ab(o_, session_);
  ASSERT_EQ(s.status, AbStatus::Done) << s.reason;
  EXPECT_EQ(s.redone_pairs, 4) << "2 blocks, 3 attempts each";
  ASSERT_EQ(s.runs.size(), 12u);
  for (size_t i = 0; i < s.runs.size(); ++i) {
    EXPECT_EQ(s.runs[i].block, i / 6) << i;
    EXPECT_EQ(s.runs[i].attempt, (i % 6) / 2) << i;
  }
  EXPECT_EQ(s.blocks.at("malloc").size(), 2u);
}

TEST_F(GateAb, base_that_does_not_start_is_an_ab_not_done_with_the_reason) {
  o_.base_server = dir_ / "no-such-server";
  const AbSession s = run_ab(o_, session_);
  EXPECT_EQ(s.status, AbStatus::NotDone);
  EXPECT_NE(s.reason.find("the base's server did not start"), std::string::npos) << s.reason;
  EXPECT_TRUE(s.blocks.empty());
}

TEST_F(GateAb, candidate_that_does_not_start_is_a_harness_error) {
  o_.candidate_server = dir_ / "no-such-server";
  EXPECT_THROW(run_ab(o_, session_), GateHarnessError);
}

// No wsload: the first side (whichever build) cannot run its warm-up window. Base first, that is
// an A/B not done; candidate first, a harness error. Either way at once, no server left behind.
TEST_F(GateAb, wsload_that_does_not_run_ends_the_ab_with_the_reason) {
  o_.wsload = dir_ / "no-such-wsload";
  o_.variants = {"zerocopy"};
  session_.variants = o_.variants;
  try {
    const AbSession s = run_ab(o_, session_);
    EXPECT_EQ(s.status, AbStatus::NotDone);
    EXPECT_NE(s.reason.find("warm-up window of wsload"), std::string::npos) << s.reason;
  } catch (const GateHarnessError& e) {
    EXPECT_NE(std::string(e.what()).find("warm-up window of wsload"), std::string::npos) << e.what();
  }
}

TEST_F(GateAb, wsload_holds_its_connections_and_sends_each_window_at_once) {
  o_.settings.connections = 256;
  const auto args = ab_wsload_args(o_, 4242);
  auto has = [&](const std::string& flag, const std::string& value) {
    auto it = std::find(args.begin(), args.end(), flag);
    return it != args.end() && it + 1 != args.end() && *(it + 1) == value;
  };
  EXPECT_TRUE(has("--port", "4242"));
  EXPECT_NE(std::find(args.begin(), args.end(), "--hold"), args.end()) << "windows on connections made once";
  EXPECT_TRUE(has("-m", "2000")) << "each window's fixed work";
  EXPECT_TRUE(has("-c", "256"));
  EXPECT_TRUE(has("-k", "8")) << "2000 over 256 connections, rounded up: every message in flight at once";
}

}  // namespace
}  // namespace wsalloc::bench::gate
