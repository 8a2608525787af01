#include "bench/targets.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

const Target& find(const std::vector<Target>& ts, const std::string& name) {
  auto it = std::find_if(ts.begin(), ts.end(), [&](const Target& t) { return t.name == name; });
  if (it == ts.end()) throw std::runtime_error("no target " + name);
  return *it;
}

DiscoveryOptions empty_machine(const testing::TempDir& dir) {
  DiscoveryOptions o;
  o.paths.repo_root = dir.path();
  o.paths.bin_dir = dir.path() / "bin";
  o.paths.lib_dir = dir.path() / "lib";
  o.paths.peers_dir = dir.path() / ".peers";
  o.jemalloc = (dir.path() / "nope" / "libjemalloc.so.2").string();
  o.websocat = "wsbench-test-no-websocat";
  return o;
}

TEST(Targets, every_target_is_listed_even_when_nothing_is_installed) {
  testing::TempDir dir;
  auto ts = discover_targets(empty_machine(dir));
  std::vector<std::string> names;
  for (const Target& t : ts) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"malloc", "arena", "pool", "zerocopy", "malloc+jemalloc", "malloc+mimalloc",
                                             "malloc+tcmalloc", "beast", "websocketpp", "bun", "websocat", "rawecho"}));
  for (const Target& t : ts) {
    EXPECT_FALSE(t.available) << t.name;
    EXPECT_FALSE(t.reason.empty()) << t.name;
  }
}

TEST(Targets, missing_peers_are_reported_with_the_reason) {
  testing::TempDir dir;
  auto ts = discover_targets(empty_machine(dir));
  EXPECT_NE(find(ts, "beast").reason.find("wsalloc-peer-beast not built"), std::string::npos) << find(ts, "beast").reason;
  EXPECT_NE(find(ts, "bun").reason.find("scripts/install-peers.sh"), std::string::npos) << find(ts, "bun").reason;
  EXPECT_NE(find(ts, "websocat").reason.find("not on PATH"), std::string::npos) << find(ts, "websocat").reason;
}

TEST(Targets, a_missing_allocator_library_is_named) {
  testing::TempDir dir;
  DiscoveryOptions o = empty_machine(dir);
  testing::write_script(o.paths.bin_dir / "wsalloc-server", "exit 0");
  auto ts = discover_targets(o);
  EXPECT_TRUE(find(ts, "malloc").available);
  EXPECT_FALSE(find(ts, "malloc+jemalloc").available);
  EXPECT_NE(find(ts, "malloc+jemalloc").reason.find("libjemalloc.so.2 missing"), std::string::npos);
  EXPECT_EQ(find(ts, "malloc+jemalloc").counter, CounterCoverage::Incompatible);
  EXPECT_EQ(find(ts, "malloc+jemalloc").preload.size(), 1u);
}

TEST(Targets, startup_probe_marks_a_server_that_exits_as_unavailable) {
  testing::TempDir dir;
  DiscoveryOptions o = empty_machine(dir);
  testing::write_script(o.paths.bin_dir / "wsalloc-server", "echo \"wsalloc-server: unknown variant '$2'\" >&2; exit 2");
  auto ts = discover_targets(o);
  std::vector<Target> one = {find(ts, "arena")};
  probe_startup(one, dir.path().string(), std::chrono::milliseconds(5000));
  EXPECT_FALSE(one[0].available);
  EXPECT_NE(one[0].reason.find("exit 2"), std::string::npos) << one[0].reason;
  EXPECT_NE(one[0].reason.find("unknown variant 'arena'"), std::string::npos) << one[0].reason;
}

TEST(Targets, argv_placeholders_are_filled) {
  Target t;
  t.argv = {"websocat", "-b", "ws-l:{host}:{port}", "mirror:"};
  EXPECT_EQ(target_argv(t, "127.0.0.1", 9001),
            (std::vector<std::string>{"websocat", "-b", "ws-l:127.0.0.1:9001", "mirror:"}));
}

TEST(Targets, selection_by_names_and_globs) {
  Target t;
  t.name = "malloc+jemalloc";
  EXPECT_TRUE(target_selected(t, ""));
  EXPECT_TRUE(target_selected(t, "malloc*"));
  EXPECT_TRUE(target_selected(t, "zerocopy,malloc+jemalloc"));
  EXPECT_FALSE(target_selected(t, "malloc"));
}

}  // namespace
}  // namespace wsalloc::bench
