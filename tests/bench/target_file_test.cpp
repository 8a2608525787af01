#include "bench/target_file.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

BenchPaths fake_paths() {
  BenchPaths p;
  p.repo_root = "/r";
  p.bin_dir = "/b";
  p.peers_dir = "/p";
  return p;
}

std::vector<TargetDefinition> parse(const std::string& text, const std::string& name = "mine") {
  return parse_target_text(text, std::filesystem::path("/t") / (name + ".toml"), fake_paths());
}

// The error's what() (or a test failure when there is none).
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const TargetFileError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

constexpr const char* kMinimal = R"(description = "d"
command = ["{bin}/srv", "--port", "{port}"]
[ready]
port = true
)";

TEST(TargetFile, minimal_file_takes_its_name_from_the_file_and_fills_defaults) {
  auto defs = parse(kMinimal, "my-server");
  ASSERT_EQ(defs.size(), 1u);
  const Target& t = defs[0].target;
  EXPECT_EQ(t.name, "my-server");
  EXPECT_EQ(t.kind, TargetKind::User);
  EXPECT_EQ(t.argv, (std::vector<std::string>{"/b/srv", "--port", "{port}"}));
  EXPECT_EQ(t.ready.by, ReadyBy::Port);
  EXPECT_FALSE(t.ready.port_group);
  EXPECT_EQ(t.ready.timeout, std::chrono::milliseconds(15000));
  EXPECT_EQ(t.stop_signal, SIGTERM);
  EXPECT_EQ(t.echo_path, "/");
  EXPECT_TRUE(t.broadcast_path.empty());
  EXPECT_FALSE(t.raw_tcp);
  EXPECT_FALSE(t.takes_server_args);
  EXPECT_EQ(t.counter, CounterCoverage::Full);
  EXPECT_EQ(defs[0].order, 100u);
  EXPECT_EQ(t.source, "/t/my-server.toml");
}

TEST(TargetFile, every_section_is_read) {
  auto defs = parse(R"(
description = "full"
kind = "peer"
name = "full-one"
order = 7
command = ["{peers}/x", "{repo}/s.js", "--cpu", "{cpu}", "--host", "{host}"]
version_args = ["--version"]
[env]
PORT = "{port}"
LD_PRELOAD = "/lib/a.so:/lib/b.so"
[requires]
program = "install x"
files = [{ path = "{repo}/s.js", hint = "check out the repo" }]
[ready]
line = 'up on port (\d+)'
stream = "stderr"
timeout = 2.5
[stop]
signal = "SIGINT"
grace = 1
[serves]
echo = "/echo"
broadcast = "/all"
[capabilities]
server_args = true
stats = true
text = false
fragments = false
[skip]
"idle-*" = "opens at most 1,024 connections"
[allocations]
counter = "libc-only"
note = "own arena"
)");
  ASSERT_EQ(defs.size(), 1u);
  const TargetDefinition& d = defs[0];
  const Target& t = d.target;
  EXPECT_EQ(t.name, "full-one");
  EXPECT_EQ(t.kind, TargetKind::Peer);
  EXPECT_EQ(d.order, 7u);
  EXPECT_EQ(t.argv, (std::vector<std::string>{"/p/x", "/r/s.js", "--cpu", "{cpu}", "--host", "{host}"}));
  EXPECT_EQ(d.version_args, (std::vector<std::string>{"--version"}));
  EXPECT_EQ(t.env, (std::vector<std::pair<std::string, std::string>>{{"PORT", "{port}"}}));
  EXPECT_EQ(t.preload, (std::vector<std::string>{"/lib/a.so", "/lib/b.so"}));
  EXPECT_EQ(d.program_hint, "install x");
  ASSERT_EQ(d.required_files.size(), 1u);
  EXPECT_EQ(d.required_files[0], (std::pair<std::string, std::string>{"/r/s.js", "check out the repo"}));
  EXPECT_EQ(t.ready.by, ReadyBy::Line);
  EXPECT_EQ(t.ready.pattern, R"(up on port (\d+))");
  EXPECT_TRUE(t.ready.port_group);
  EXPECT_TRUE(t.ready.on_stderr);
  EXPECT_EQ(t.ready.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(t.stop_signal, SIGINT);
  EXPECT_EQ(t.stop_grace, std::chrono::milliseconds(1000));
  EXPECT_EQ(t.echo_path, "/echo");
  EXPECT_EQ(t.broadcast_path, "/all");
  EXPECT_TRUE(t.takes_server_args);
  EXPECT_TRUE(t.serves_stats);
  EXPECT_FALSE(t.echoes_text);
  EXPECT_TRUE(t.echoes_binary);
  EXPECT_FALSE(t.reassembles_fragments);
  ASSERT_EQ(t.skip.size(), 1u);
  EXPECT_EQ(t.skip[0].first, "idle-*");
  EXPECT_EQ(t.counter, CounterCoverage::LibcOnly);
  EXPECT_EQ(t.counter_note, "own arena");
  EXPECT_TRUE(d.counter_declared);
}

TEST(TargetFile, variants_share_the_file_and_fill_their_own_placeholders) {
  auto defs = parse(R"(
description = "srv --variant {variant}"
kind = "variant"
command = ["{bin}/srv", "--variant", "{variant}", "--port", "{port}"]
[ready]
line = 'listening on \S+:(\d+)'
[[variant]]
name = "a"
vars = { variant = "arena" }
[[variant]]
name = "a+io"
vars = { variant = "arena" }
args = ["--io", "uring"]
kind = "allocator"
env = { LD_PRELOAD = "/lib/j.so" }
allocations = { counter = "incompatible", note = "would bypass j" }
)");
  ASSERT_EQ(defs.size(), 2u);
  EXPECT_EQ(defs[0].target.name, "a");
  EXPECT_EQ(defs[0].target.description, "srv --variant arena");
  EXPECT_EQ(defs[0].target.argv, (std::vector<std::string>{"/b/srv", "--variant", "arena", "--port", "{port}"}));
  EXPECT_EQ(defs[0].target.kind, TargetKind::Variant);
  EXPECT_TRUE(defs[0].target.preload.empty());
  EXPECT_EQ(defs[1].target.name, "a+io");
  EXPECT_EQ(defs[1].target.argv,
            (std::vector<std::string>{"/b/srv", "--variant", "arena", "--port", "{port}", "--io", "uring"}));
  EXPECT_EQ(defs[1].target.kind, TargetKind::Allocator);
  EXPECT_EQ(defs[1].target.preload, (std::vector<std::string>{"/lib/j.so"}));
  EXPECT_EQ(defs[1].target.counter, CounterCoverage::Incompatible);
}

TEST(TargetFile, the_repository_target_files_parse) {
  BenchPaths p = fake_paths();
  p.repo_root = WSALLOC_SOURCE_DIR;
  std::vector<std::string> names;
  for (const char* f : {"wsalloc-server", "beast", "websocketpp", "bun", "websocat", "rawecho", "rawecho+uring"}) {
    for (const TargetDefinition& d : parse_target_file(p.repo_root / "targets" / (std::string(f) + ".toml"), p)) {
      names.push_back(d.target.name);
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"malloc", "arena", "pool", "zerocopy", "malloc+uring", "arena+uring",
                                             "pool+uring", "zerocopy+uring", "malloc+jemalloc", "malloc+mimalloc",
                                             "malloc+tcmalloc", "beast", "websocketpp", "bun", "websocat", "rawecho",
                                             "rawecho+uring"}));
  auto example = parse_target_file(p.repo_root / "tests" / "bench" / "user_target" / "python-echo.toml", p);
  ASSERT_EQ(example.size(), 1u);
  EXPECT_EQ(example[0].target.echo_path, "/echo");
}

// Bad files: file, line, key and what was expected, like scenario files.
TEST(TargetFile, an_unknown_key_names_file_line_and_the_allowed_keys) {
  const std::string e = error_of(std::string(kMinimal) + "[serves]\necho = \"/\"\nbroadcst = \"/b\"\n");
  EXPECT_NE(e.find("/t/mine.toml:7: key 'serves.broadcst': unknown key (allowed here: echo, broadcast, raw_tcp)"),
            std::string::npos) << e;
}

TEST(TargetFile, a_wrong_type_or_range_names_what_was_expected) {
  EXPECT_NE(error_of("description = \"d\"\ncommand = \"srv\"\n[ready]\nport = true\n")
                .find(":2: key 'command': expected an array of strings, got a string"),
            std::string::npos);
  const std::string e = error_of(std::string(kMinimal) + "timeout = 0\n");
  EXPECT_NE(e.find(":5: key 'ready.timeout': 0 is outside [0.1, 600]"), std::string::npos) << e;
  EXPECT_NE(error_of(std::string(kMinimal) + "[stop]\nsignal = \"TERM\"\n").find(":6: key 'stop.signal': \"TERM\" is not one of SIGTERM"),
            std::string::npos);
  EXPECT_NE(error_of("description = \"d\"\nkind = \"server\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nport = true\n")
                .find(":2: key 'kind': \"server\" is not one of variant, allocator, peer, raw, user"),
            std::string::npos);
}

TEST(TargetFile, readiness_must_be_exactly_one_of_line_or_port) {
  EXPECT_NE(error_of("description = \"d\"\ncommand = [\"x\"]\n").find("key 'ready': missing"), std::string::npos);
  const std::string both = error_of("description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nline = \"up\"\nport = true\n");
  EXPECT_NE(both.find(":5: key 'ready.port': give exactly one of line"), std::string::npos) << both;
  const std::string re = error_of("description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nline = \"up (\"\n");
  EXPECT_NE(re.find(":4: key 'ready.line': not a regular expression"), std::string::npos) << re;
}

TEST(TargetFile, an_unknown_placeholder_names_the_line_and_key_of_the_string) {
  const std::string e = error_of("description = \"d\"\ncommand = [\"x\",\n  \"--port={prot}\"]\n[ready]\nport = true\n");
  EXPECT_NE(e.find(":3: key 'command': unknown placeholder {prot}"), std::string::npos) << e;
  // A variant's var used by a file without variants is unknown, at the command's line.
  const std::string v = error_of("description = \"d\"\ncommand = [\"x\", \"{variant}\", \"{port}\"]\n[ready]\nport = true\n");
  EXPECT_NE(v.find(":2: key 'command': unknown placeholder {variant}"), std::string::npos) << v;
}

TEST(TargetFile, wsbench_must_be_able_to_tell_the_server_its_port) {
  const std::string e = error_of("description = \"d\"\ncommand = [\"x\"]\n[ready]\nline = \"ready\"\n");
  EXPECT_NE(e.find(":3: key 'ready': wsbench picks the port"), std::string::npos) << e;
  // The port through the environment is as good as on the command line.
  EXPECT_NO_THROW(parse("description = \"d\"\ncommand = [\"x\"]\nenv = { PORT = \"{port}\" }\n[ready]\nline = \"ready\"\n"));
  // A capture group reads the port from the line: nothing to pass.
  EXPECT_NO_THROW(parse("description = \"d\"\ncommand = [\"x\"]\n[ready]\nline = 'port (\\d+)'\n"));
}

TEST(TargetFile, variant_mistakes_are_located) {
  const std::string base = "description = \"d\"\ncommand = [\"x\", \"{port}\"]\n[ready]\nport = true\n";
  EXPECT_NE(error_of(base + "[[variant]]\nvars = { v = \"1\" }\n").find(":5: key 'variant.name': every [[variant]] needs a name"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n").find(":8: key 'variant.name': \"a\" is used twice"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[variant]]\nname = \"a\"\nvars = { port = \"1\" }\n").find("key 'variant.vars': \"port\" cannot be a placeholder"),
            std::string::npos);
  EXPECT_NE(error_of(base + "[[variant]]\nname = \"a\"\nready = 1\n").find(":7: key 'variant.ready': unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"n\"\n" + base + "[[variant]]\nname = \"a\"\n").find(":1: key 'name': with [[variant]] tables"),
            std::string::npos);
}

TEST(TargetFile, a_counter_other_than_full_needs_a_note) {
  const std::string e = error_of(std::string(kMinimal) + "[allocations]\ncounter = \"invisible\"\n");
  EXPECT_NE(e.find(":5: key 'allocations.note': counter = \"invisible\" needs a note"), std::string::npos) << e;
}

TEST(TargetFile, syntax_errors_and_missing_files_are_located_too) {
  const std::string e = error_of("description = \"d\"\ncommand = [\"x\"\n");
  EXPECT_NE(e.find("key '(syntax)'"), std::string::npos) << e;
  try {
    parse_target_file("/nonexistent/x.toml", fake_paths());
    FAIL() << "no error";
  } catch (const TargetFileError& err) {
    EXPECT_NE(std::string(err.what()).find("/nonexistent/x.toml:0: key '(file)': cannot open the file"), std::string::npos);
  }
}

}  // namespace
}  // namespace wsalloc::bench
