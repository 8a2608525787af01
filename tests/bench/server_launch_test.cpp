#include "bench/server_launch.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include "bench/probe_client.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

// The launch of `t` with its logs in `dir`; each test then sets what it exercises.
LaunchSpec launch_of(const Target& t, const testing::TempDir& dir) {
  LaunchSpec spec;
  spec.target = &t;
  spec.workdir = dir.path();
  return spec;
}

// A target that is one shell script, <dir>/<name>.sh.
Target script_target(const testing::TempDir& dir, const std::string& name, const std::string& body) {
  Target t;
  t.name = name;
  t.argv = {testing::write_script(dir.path() / (name + ".sh"), body).string()};
  return t;
}

// parse_listening_port is the process library's: tests/process/ready_line_test.cpp.

TEST(ServerLaunch, last_line_skips_trailing_blank_lines) {
  EXPECT_EQ(last_line("a\nb\n\n"), "b");
  EXPECT_EQ(last_line("only"), "only");
  EXPECT_EQ(last_line(""), "");
}

// A fake server following the contract: python3 listens on port 0 and prints the line.
Target python_server(const testing::TempDir& dir) {
  Target t;
  t.name = "fake";
  const auto script = testing::write_script(dir.path() / "fake.sh",
      "exec /usr/bin/python3 -c \"\n"
      "import socket, sys, time, signal\n"
      "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
      "print('listening on 127.0.0.1:%d' % s.getsockname()[1], flush=True)\n"
      "time.sleep(30)\n\"");
  t.argv = {script.string()};
  return t;
}

TEST(ServerLaunch, starts_waits_for_readiness_and_stops_cleanly) {
  testing::TempDir dir;
  Target t = python_server(dir);
  LaunchSpec spec;
  spec.target = &t;
  spec.workdir = dir.path() / "logs";
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& s = std::get<RunningServer>(launched);
  EXPECT_GT(s.port, 0);
  EXPECT_EQ(s.server_pid, s.child.pid());
  EXPECT_TRUE(tcp_connectable("127.0.0.1", s.port, 1000ms));
  StopOutcome out = stop_server(s, 5000ms);
  EXPECT_TRUE(out.clean) << out.status.describe();
}

// Regression: the ready line was searched in whatever stdout held, so a line still being written
// ("listening on 127.0.0.1:4" of ":40123") gave port 4. Only complete lines count now.
TEST(ServerLaunch, a_ready_line_still_being_written_is_not_read_as_a_shorter_port) {
  testing::TempDir dir;
  Target t;
  t.name = "slow-writer";
  const auto script = testing::write_script(dir.path() / "slow-writer.sh",
      "exec /usr/bin/python3 -c \"\n"
      "import socket, sys, time, signal\n"
      "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
      "line = 'listening on 127.0.0.1:%d\\\\n' % s.getsockname()[1]\n"
      "sys.stdout.write(line[:25]); sys.stdout.flush(); time.sleep(0.5)\n"
      "sys.stdout.write(line[25:]); sys.stdout.flush()\n"
      "time.sleep(30)\n\"");
  t.argv = {script.string()};
  LaunchSpec spec = launch_of(t, dir);
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& s = std::get<RunningServer>(launched);
  EXPECT_TRUE(tcp_connectable("127.0.0.1", s.port, 1000ms)) << "port " << s.port << " is not the one it listens on";
  stop_server(s, 5000ms);
}

TEST(ServerLaunch, server_that_exits_is_a_failure_quoting_its_stderr) {
  testing::TempDir dir;
  Target t = script_target(dir, "broken", "echo 'cannot listen on 127.0.0.1:1: permission denied' >&2; exit 1");
  LaunchSpec spec = launch_of(t, dir);
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<LaunchFailure>(launched));
  const std::string& reason = std::get<LaunchFailure>(launched).reason;
  EXPECT_NE(reason.find("exit 1"), std::string::npos) << reason;
  EXPECT_NE(reason.find("permission denied"), std::string::npos) << reason;
  EXPECT_NE(std::get<LaunchFailure>(launched).command.find("broken.sh"), std::string::npos);
}

TEST(ServerLaunch, silent_server_times_out_with_a_reason) {
  testing::TempDir dir;
  Target t = script_target(dir, "silent", "exec sleep 30");
  LaunchSpec spec = launch_of(t, dir);
  spec.ready_timeout = 300ms;
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<LaunchFailure>(launched));
  EXPECT_NE(std::get<LaunchFailure>(launched).reason.find("not ready within 300 ms"), std::string::npos);
}

TEST(ServerLaunch, env_and_preload_appear_in_the_recorded_command) {
  testing::TempDir dir;
  Target t = python_server(dir);
  t.preload = {"/usr/lib/x86_64-linux-gnu/libc.so.6"};
  LaunchSpec spec = launch_of(t, dir);
  spec.env = {{"WSALLOC_MALLOCCOUNT_FILE", "/dev/shm/x"}};
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& s = std::get<RunningServer>(launched);
  EXPECT_NE(s.command.find("WSALLOC_MALLOCCOUNT_FILE=/dev/shm/x LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libc.so.6 "), std::string::npos)
      << s.command;
  stop_server(s, 5000ms);
}

// A server of one's own: takes the port it is given (no port 0) and prints its own ready line.
Target own_line_server(const testing::TempDir& dir, const std::string& ready_text) {
  Target t;
  t.name = "own";
  const auto script = testing::write_script(dir.path() / "own.sh",
      "exec /usr/bin/python3 -c \"\n"
      "import socket, sys, time, signal\n"
      "signal.signal(signal.SIGINT, lambda *a: sys.exit(0))\n"
      "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
      "print('booting', flush=True)\n"
      "print('" + ready_text + "', flush=True)\n"
      "time.sleep(30)\n\" \"$@\"");
  t.argv = {script.string(), "{port}"};
  t.ready.pattern = "^ready$";
  t.ready.port_group = false;
  t.stop_signal = SIGINT;  // it exits 0 on SIGINT only: a clean stop proves the signal was used
  return t;
}

TEST(ServerLaunch, ready_by_a_line_without_a_port_uses_the_port_wsbench_chose) {
  testing::TempDir dir;
  Target t = own_line_server(dir, "ready");
  LaunchSpec spec = launch_of(t, dir);
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& s = std::get<RunningServer>(launched);
  EXPECT_GT(s.port, 0);
  EXPECT_NE(s.command.find(std::to_string(s.port)), std::string::npos) << s.command;
  EXPECT_TRUE(tcp_connectable("127.0.0.1", s.port, 1000ms));
  StopOutcome out = stop_server(s, 5000ms);
  EXPECT_TRUE(out.clean) << out.status.describe();
}

TEST(ServerLaunch, the_ready_pattern_is_matched_line_by_line) {
  testing::TempDir dir;
  Target t = own_line_server(dir, "not ready yet");  // contains "ready" but no line is exactly it
  LaunchSpec spec = launch_of(t, dir);
  spec.ready_timeout = 1500ms;
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<LaunchFailure>(launched));
  const std::string& why = std::get<LaunchFailure>(launched).reason;
  EXPECT_NE(why.find("not ready within 1500 ms (no line on its stdout matched '^ready$')"), std::string::npos) << why;
  EXPECT_NE(why.find("stdout \"booting\" | \"not ready yet\""), std::string::npos) << why;
}

TEST(ServerLaunch, ready_by_port_polls_until_the_chosen_port_accepts) {
  testing::TempDir dir;
  Target t;
  t.name = "late-listener";
  t.ready.by = ReadyBy::Port;
  t.ready.port_group = false;
  t.argv = {testing::write_script(dir.path() / "late.sh",
                                  "exec /usr/bin/python3 -c \"\n"
                                  "import socket, sys, time\n"
                                  "time.sleep(0.3)\n"
                                  "s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen()\n"
                                  "time.sleep(30)\n\" \"$@\"").string(),
            "{host}", "{port}"};
  LaunchSpec spec = launch_of(t, dir);
  auto launched = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<RunningServer>(launched)) << std::get<LaunchFailure>(launched).reason;
  RunningServer& s = std::get<RunningServer>(launched);
  EXPECT_TRUE(tcp_connectable("127.0.0.1", s.port, 1000ms));
  stop_server(s, 5000ms);
}

TEST(ServerLaunch, cpu_placeholder_is_the_pinned_cpu_or_every_online_cpu) {
  testing::TempDir dir;
  Target t;
  t.name = "cpu";
  t.ready.by = ReadyBy::Port;
  t.ready.port_group = false;
  t.argv = {testing::write_script(dir.path() / "cpu.sh", "echo \"cpus=$1\" >&2; exit 1").string(), "{cpu}", "{port}"};
  LaunchSpec spec = launch_of(t, dir);
  spec.cpu = 1;
  auto pinned = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<LaunchFailure>(pinned));
  EXPECT_NE(std::get<LaunchFailure>(pinned).reason.find("cpus=1"), std::string::npos) << std::get<LaunchFailure>(pinned).reason;
  EXPECT_NE(std::get<LaunchFailure>(pinned).command.find("taskset -c 1"), std::string::npos);
  spec.cpu = -1;
  auto unpinned = launch_server(spec);
  ASSERT_TRUE(std::holds_alternative<LaunchFailure>(unpinned));
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  const std::string all = n > 1 ? "cpus=0-" + std::to_string(n - 1) : "cpus=0";
  EXPECT_NE(std::get<LaunchFailure>(unpinned).reason.find(all), std::string::npos) << std::get<LaunchFailure>(unpinned).reason;
}

}  // namespace
}  // namespace wsalloc::bench
