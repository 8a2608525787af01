#include "bench/targets.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "bench/probe_client.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

const Target& find(const std::vector<Target>& ts, const std::string& name) {
  auto it = std::find_if(ts.begin(), ts.end(), [&](const Target& t) { return t.name == name; });
  if (it == ts.end()) throw std::runtime_error("no target " + name);
  return *it;
}

// The repository's target files on a machine where nothing is built or installed.
DiscoveryOptions empty_machine(const testing::TempDir& dir) {
  DiscoveryOptions o;
  o.paths.repo_root = WSALLOC_SOURCE_DIR;
  o.paths.targets_dir = std::filesystem::path(WSALLOC_SOURCE_DIR) / "targets";
  o.paths.bin_dir = dir.path() / "bin";
  o.paths.lib_dir = dir.path() / "lib";
  o.paths.peers_dir = dir.path() / ".peers";
  return o;
}

// Only the target files written by the test.
DiscoveryOptions own_targets(const testing::TempDir& dir) {
  DiscoveryOptions o = empty_machine(dir);
  o.paths.targets_dir = dir.path() / "targets";
  std::filesystem::create_directories(o.paths.targets_dir);
  return o;
}

std::vector<std::string> names(const std::vector<Target>& ts) {
  std::vector<std::string> out;
  for (const Target& t : ts) out.push_back(t.name);
  return out;
}

TEST(Targets, every_built_in_target_is_defined_by_a_file_and_listed_even_when_nothing_is_installed) {
  testing::TempDir dir;
  auto ts = discover_targets(empty_machine(dir));
  EXPECT_EQ(names(ts), (std::vector<std::string>{"malloc", "arena", "pool", "zerocopy", "malloc+uring", "arena+uring",
                                                 "pool+uring", "zerocopy+uring", "malloc+jemalloc", "malloc+mimalloc",
                                                 "malloc+tcmalloc", "beast", "websocketpp", "bun", "websocat", "rawecho",
                                                 "rawecho+uring"}));
  for (const Target& t : ts) {
    EXPECT_FALSE(t.source.empty()) << t.name;
    if (t.name == "websocat") continue;  // depends on PATH: checked with a file of its own below
    EXPECT_FALSE(t.available) << t.name;
    EXPECT_FALSE(t.reason.empty()) << t.name;
  }
  EXPECT_EQ(find(ts, "arena").source, "targets/wsalloc-server.toml");
  EXPECT_EQ(find(ts, "malloc+jemalloc").counter, CounterCoverage::Incompatible);
  EXPECT_EQ(find(ts, "bun").counter, CounterCoverage::LibcOnly);
  EXPECT_TRUE(find(ts, "rawecho").raw_tcp);
  EXPECT_EQ(find(ts, "zerocopy").broadcast_path, "/broadcast");
  // The peers serve the broadcast scenario too (issue 14 item 7); the raw TCP echo cannot.
  for (const char* peer : {"beast", "websocketpp", "bun"}) EXPECT_EQ(find(ts, peer).broadcast_path, "/broadcast") << peer;
  EXPECT_TRUE(find(ts, "rawecho").broadcast_path.empty());
}

TEST(Targets, missing_programs_are_reported_with_the_files_hint) {
  testing::TempDir dir;
  auto ts = discover_targets(empty_machine(dir));
  EXPECT_NE(find(ts, "beast").reason.find("wsalloc-peer-beast missing: build the CMake target wsalloc-peer-beast"),
            std::string::npos) << find(ts, "beast").reason;
  EXPECT_NE(find(ts, "bun").reason.find("scripts/install-peers.sh"), std::string::npos) << find(ts, "bun").reason;

  DiscoveryOptions o = own_targets(dir);
  testing::write_file(o.paths.targets_dir / "nowhere.toml",
                      "description = \"d\"\ncommand = [\"wsbench-test-no-such-program\", \"{port}\"]\n"
                      "[requires]\nprogram = \"install it by hand\"\n[ready]\nport = true\n");
  auto own = discover_targets(o);
  EXPECT_EQ(own.at(0).reason, "wsbench-test-no-such-program not on PATH: install it by hand");
}

TEST(Targets, a_missing_required_file_or_preload_is_named) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  testing::write_script(o.paths.bin_dir / "srv", "exit 0");
  const std::string missing = (dir.path() / "nope" / "libjemalloc.so.2").string();
  testing::write_file(o.paths.targets_dir / "a.toml",
                      "description = \"d\"\ncommand = [\"{bin}/srv\", \"{port}\"]\n[ready]\nport = true\n"
                      "[requires]\nfiles = [{ path = \"" + missing + "\", hint = \"Debian package libjemalloc2\" }]\n");
  testing::write_file(o.paths.targets_dir / "b.toml",
                      "description = \"d\"\ncommand = [\"{bin}/srv\", \"{port}\"]\n[ready]\nport = true\n"
                      "[env]\nLD_PRELOAD = \"" + missing + "\"\n");
  auto ts = discover_targets(o);
  EXPECT_EQ(find(ts, "a").reason, missing + " missing: Debian package libjemalloc2");
  EXPECT_EQ(find(ts, "b").reason, missing + " missing (LD_PRELOAD)");
}

TEST(Targets, the_counter_is_not_trusted_with_a_statically_linked_program) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  testing::write_file(o.paths.targets_dir / "static.toml",
                      "description = \"d\"\ncommand = [\"/sbin/ldconfig\", \"{port}\"]\n[ready]\nport = true\n");
  testing::write_file(o.paths.targets_dir / "dynamic.toml",
                      "description = \"d\"\ncommand = [\"/usr/bin/python3\", \"{port}\"]\n[ready]\nport = true\n");
  auto ts = discover_targets(o);
  EXPECT_EQ(find(ts, "static").counter, CounterCoverage::Invisible);
  EXPECT_NE(find(ts, "static").counter_note.find("statically linked"), std::string::npos) << find(ts, "static").counter_note;
  EXPECT_EQ(find(ts, "dynamic").counter, CounterCoverage::Full);
}

TEST(Targets, a_failing_version_command_makes_the_target_unavailable) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  testing::write_script(o.paths.bin_dir / "srv", "echo 'no such flag' >&2; exit 3");
  testing::write_file(o.paths.targets_dir / "v.toml", "description = \"d\"\ncommand = [\"{bin}/srv\", \"{port}\"]\n"
                                                     "version_args = [\"--version\"]\n[ready]\nport = true\n");
  auto ts = discover_targets(o);
  EXPECT_FALSE(ts.at(0).available);
  EXPECT_NE(ts.at(0).reason.find("--version: exit 3"), std::string::npos) << ts.at(0).reason;
}

TEST(Targets, target_files_follow_the_built_in_ones_and_are_marked_as_given) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  const std::string body = "command = [\"x\", \"{port}\"]\n[ready]\nport = true\n";
  testing::write_file(o.paths.targets_dir / "late.toml", "description = \"d\"\norder = 50\n" + body);
  testing::write_file(o.paths.targets_dir / "zz-early.toml", "description = \"d\"\norder = 5\n" + body);
  testing::write_file(dir.path() / "mine.toml", "description = \"d\"\norder = 1\n" + body);
  o.target_files = {(dir.path() / "mine.toml").string()};
  o.target_urls = {"ws://127.0.0.1:9/echo"};
  auto ts = discover_targets(o);
  EXPECT_EQ(names(ts), (std::vector<std::string>{"zz-early", "late", "mine", "127.0.0.1:9"}));
  EXPECT_FALSE(ts[0].given);
  EXPECT_TRUE(ts[2].given);
  EXPECT_TRUE(ts[3].given);
  EXPECT_EQ(ts[3].kind, TargetKind::External);
}

TEST(Targets, a_name_defined_twice_is_an_error_naming_both_files) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  const std::string body = "description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nport = true\n";
  testing::write_file(o.paths.targets_dir / "beast.toml", body);
  testing::write_file(dir.path() / "mine.toml", "name = \"beast\"\n" + body);
  o.target_files = {(dir.path() / "mine.toml").string()};
  try {
    discover_targets(o);
    FAIL() << "no error";
  } catch (const ConfigFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("mine.toml:1: key 'name': target \"beast\" is already defined by"), std::string::npos) << what;
    EXPECT_NE(what.find("targets/beast.toml"), std::string::npos) << what;
  }
}

TEST(Targets, with_an_error_list_a_broken_file_is_collected_and_the_rest_returned) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  testing::write_file(o.paths.targets_dir / "good.toml", "description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nport = true\n");
  testing::write_file(o.paths.targets_dir / "bad.toml", "description = \"d\"\ncommand = [\"x\"]\n[ready]\nport = yes\n");
  o.target_urls = {"wss://h:1/"};
  std::vector<std::string> errors;
  auto ts = discover_targets(o, &errors);
  EXPECT_EQ(names(ts), (std::vector<std::string>{"good"}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("bad.toml:4: key '(syntax)'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("wss:// is not supported"), std::string::npos) << errors[1];
}

TEST(Targets, startup_probe_marks_a_server_that_exits_as_unavailable) {
  testing::TempDir dir;
  DiscoveryOptions o = empty_machine(dir);
  testing::write_script(o.paths.bin_dir / "wsalloc-server", "echo \"wsalloc-server: unknown variant '$2'\" >&2; exit 2");
  auto ts = discover_targets(o);
  std::vector<Target> one = {find(ts, "arena")};
  probe_startup(one, dir.path().string());
  EXPECT_FALSE(one[0].available);
  EXPECT_NE(one[0].reason.find("exit 2"), std::string::npos) << one[0].reason;
  EXPECT_NE(one[0].reason.find("unknown variant 'arena'"), std::string::npos) << one[0].reason;
}

TEST(Targets, a_target_that_never_becomes_ready_is_reported_with_the_last_lines_it_printed) {
  testing::TempDir dir;
  DiscoveryOptions o = own_targets(dir);
  testing::write_script(o.paths.bin_dir / "slow", "echo 'loading model 1/3'; echo 'loading model 2/3'; echo 'disk quota low' >&2; exec sleep 30");
  testing::write_file(o.paths.targets_dir / "slow.toml", "description = \"d\"\ncommand = [\"{bin}/slow\", \"{port}\"]\n"
                                                        "[ready]\nline = \"^ready\"\ntimeout = 0.5\n");
  auto ts = discover_targets(o);
  probe_startup(ts, dir.path().string());
  ASSERT_FALSE(ts[0].available);
  const std::string& why = ts[0].reason;
  EXPECT_NE(why.find("not ready within 500 ms"), std::string::npos) << why;
  EXPECT_NE(why.find("no line on its stdout matched '^ready'"), std::string::npos) << why;
  EXPECT_NE(why.find("stdout \"loading model 1/3\" | \"loading model 2/3\""), std::string::npos) << why;
  EXPECT_NE(why.find("stderr \"disk quota low\""), std::string::npos) << why;
}

TEST(Targets, an_external_target_that_accepts_no_connection_is_unavailable) {
  testing::TempDir dir;
  auto port = pick_free_port("127.0.0.1");  // bound and released: nothing listens there
  ASSERT_TRUE(port);
  DiscoveryOptions o = own_targets(dir);
  o.target_urls = {"far=ws://127.0.0.1:" + std::to_string(*port) + "/"};
  auto ts = discover_targets(o);
  probe_startup(ts, dir.path().string());
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_FALSE(ts[0].available);
  EXPECT_NE(ts[0].reason.find("does not accept connections"), std::string::npos) << ts[0].reason;
}

TEST(Targets, uring_targets_run_the_same_binaries_with_io_uring) {
  testing::TempDir dir;
  DiscoveryOptions o = empty_machine(dir);
  auto ts = discover_targets(o);
  const Target& z = find(ts, "zerocopy+uring");
  EXPECT_EQ(z.kind, TargetKind::Variant);
  EXPECT_TRUE(z.takes_server_args);
  StartValues v{"127.0.0.1", 9, "0"};
  EXPECT_EQ(target_argv(z, v), (std::vector<std::string>{(o.paths.bin_dir / "wsalloc-server").string(), "--variant",
                                                         "zerocopy", "--host", "127.0.0.1", "--port", "9", "--io",
                                                         "uring"}));
  const Target& r = find(ts, "rawecho+uring");
  EXPECT_EQ(r.kind, TargetKind::Raw);
  EXPECT_TRUE(r.raw_tcp);
  EXPECT_EQ(target_argv(r, v), (std::vector<std::string>{(o.paths.bin_dir / "wsalloc-rawecho").string(), "--host",
                                                         "127.0.0.1", "--port", "9", "--io", "uring"}));
}

TEST(Targets, start_time_placeholders_are_filled_in_argv_and_env) {
  Target t;
  t.argv = {"websocat", "-b", "ws-l:{host}:{port}", "mirror:", "--cpus={cpu}", "{{literal}}"};
  t.env = {{"PORT", "{port}"}};
  StartValues v{"127.0.0.1", 9001, "0"};
  EXPECT_EQ(target_argv(t, v),
            (std::vector<std::string>{"websocat", "-b", "ws-l:127.0.0.1:9001", "mirror:", "--cpus=0", "{literal}"}));
  EXPECT_EQ(target_env(t, v), (std::vector<std::pair<std::string, std::string>>{{"PORT", "9001"}}));
}

TEST(Targets, scenario_paths_map_to_the_targets_own) {
  Target t;
  t.echo_path = "/echo";
  t.broadcast_path = "/fanout";
  LoadSpec l;
  EXPECT_EQ(load_for_target(l, ScenarioKind::Echo, t).path, "/echo");
  l.path = "/broadcast";
  EXPECT_EQ(load_for_target(l, ScenarioKind::Broadcast, t).path, "/fanout");
  l.path = "/work";
  EXPECT_EQ(load_for_target(l, ScenarioKind::Executor, t).path, "/work");
}

TEST(Targets, selection_by_names_and_globs) {
  Target t;
  t.name = "malloc+jemalloc";
  EXPECT_TRUE(target_selected(t, ""));
  EXPECT_TRUE(target_selected(t, "malloc*"));
  EXPECT_TRUE(target_selected(t, "zerocopy,malloc+jemalloc"));
  EXPECT_FALSE(target_selected(t, "malloc"));
}

TEST(Targets, an_exclusion_leaves_out_what_it_matches_even_when_a_glob_selects_it) {
  Target t;
  t.name = "arena+uring";
  EXPECT_FALSE(target_selected(t, "*,!arena+uring"));
  EXPECT_FALSE(target_selected(t, "!*+uring"));
  EXPECT_FALSE(target_selected(t, "!*+uring,zerocopy+uring"));
  EXPECT_TRUE(target_selected(t, "*,!zerocopy+uring"));
  EXPECT_TRUE(target_selected(t, "!malloc*"));  // exclusions alone: everything else
  EXPECT_FALSE(target_selected(t, "zerocopy,!malloc*"));
}

}  // namespace
}  // namespace wsalloc::bench
