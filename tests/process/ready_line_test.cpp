#include "process/ready_line.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace wsalloc::process {
namespace {

using namespace std::chrono_literals;

bool is_ready(const std::string& line) { return port_of_ready_line(line).has_value(); }

ChildProcess spawn_sh(const std::string& script, const std::string& stdout_file = {}) {
  SpawnSpec s;
  s.argv = {"sh", "-c", script};
  if (stdout_file.empty()) {
    s.stdout_pipe = true;
  } else {
    s.stdout_path = stdout_file;
  }
  return ChildProcess::spawn(s);
}

TEST(ReadyLine, parse_listening_port_finds_the_line_anywhere) {
  EXPECT_EQ(parse_listening_port("listening on 127.0.0.1:9001\n"), 9001);
  // A wrapper (heaptrack) prints first; an IPv6 host has colons of its own.
  EXPECT_EQ(parse_listening_port("heaptrack output will be written to x\nlistening on ::1:40000\n"), 40000);
  EXPECT_EQ(parse_listening_port("listening on [::1]:80\n"), 80);
  EXPECT_EQ(parse_listening_port("listening on 127.0.0.1:0\n"), 0);
  EXPECT_EQ(parse_listening_port("starting...\n"), 0);
}

TEST(ReadyLine, port_of_ready_line_accepts_only_the_exact_form) {
  EXPECT_EQ(port_of_ready_line("listening on 127.0.0.1:40123"), 40123);
  EXPECT_EQ(port_of_ready_line("listening on ::1:8080"), 8080);  // port after the last ':'
  EXPECT_FALSE(port_of_ready_line("listening on 127.0.0.1:0"));
  EXPECT_FALSE(port_of_ready_line("listening on 127.0.0.1:65536"));
  EXPECT_FALSE(port_of_ready_line("listening on 127.0.0.1:80x"));
  EXPECT_FALSE(port_of_ready_line("server listening on 127.0.0.1:80"));
}

TEST(ReadyLine, finds_the_line_on_a_stdout_pipe) {
  ChildProcess c = spawn_sh("echo starting; echo 'listening on 127.0.0.1:4242'; exec sleep 30");
  LineWaitResult r = wait_for_line(c, {}, is_ready, 10s);
  ASSERT_EQ(r.outcome, LineWait::Found) << r.seen;
  EXPECT_EQ(r.line, "listening on 127.0.0.1:4242");
  EXPECT_TRUE(c.running());
}

TEST(ReadyLine, finds_the_line_in_a_file) {
  testing::TempDir dir;
  const std::string file = (dir.path() / "out").string();
  ChildProcess c = spawn_sh("echo 'listening on 127.0.0.1:4243'; exec sleep 30", file);
  LineWaitResult r = wait_for_line(c, {file}, is_ready, 10s);
  ASSERT_EQ(r.outcome, LineWait::Found) << r.seen;
  EXPECT_EQ(port_of_ready_line(r.line), 4243);
}

TEST(ReadyLine, waits_for_a_partially_written_line_to_complete) {
  // The first write stops inside the port number; judging it then would read port 4.
  ChildProcess c = spawn_sh("printf 'listening on 127.0.0.1:4'; sleep 0.3; printf '0123\\n'; exec sleep 30");
  LineWaitResult r = wait_for_line(c, {}, is_ready, 10s);
  ASSERT_EQ(r.outcome, LineWait::Found) << r.seen;
  EXPECT_EQ(port_of_ready_line(r.line), 40123);
}

TEST(ReadyLine, first_line_only_rejects_a_different_first_line) {
  ChildProcess c = spawn_sh("echo hello; echo 'listening on 127.0.0.1:4244'; exec sleep 30");
  LineWaitResult r = wait_for_line(c, {}, is_ready, 10s, /*first_line_only=*/true);
  EXPECT_EQ(r.outcome, LineWait::Rejected);
  EXPECT_EQ(r.line, "hello");
}

TEST(ReadyLine, reports_a_child_that_exits_before_its_line) {
  ChildProcess c = spawn_sh("echo 'cannot bind'; exit 1");
  LineWaitResult r = wait_for_line(c, {}, is_ready, 10s);
  EXPECT_EQ(r.outcome, LineWait::Exited);
  ASSERT_TRUE(c.status());
  EXPECT_EQ(c.status()->code, 1);
  EXPECT_EQ(r.seen, "cannot bind\n");
}

TEST(ReadyLine, times_out_on_a_silent_child_and_leaves_it_running) {
  ChildProcess c = spawn_sh("exec sleep 30");
  const auto start = std::chrono::steady_clock::now();
  LineWaitResult r = wait_for_line(c, {}, is_ready, 200ms);
  EXPECT_EQ(r.outcome, LineWait::TimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  EXPECT_TRUE(c.running());
  EXPECT_EQ(c.terminate(1s).how, ExitStatus::How::Signalled);
}

}  // namespace
}  // namespace wsalloc::process
