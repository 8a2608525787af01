#include "process/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include "temp_dir.hpp"

namespace wsalloc::process {
namespace {

using namespace std::chrono_literals;

SpawnSpec argv_only(std::vector<std::string> argv) {
  SpawnSpec s;
  s.argv = std::move(argv);
  return s;
}

TEST(ChildProcess, reports_the_exit_code) {
  ChildProcess c = ChildProcess::spawn(argv_only({"sh", "-c", "exit 3"}));
  ASSERT_TRUE(c.wait_for(10s));
  EXPECT_EQ(c.status()->how, ExitStatus::How::Exited);
  EXPECT_EQ(c.status()->code, 3);
  EXPECT_EQ(c.status()->describe(), "exit 3");
  EXPECT_FALSE(c.running());
}

TEST(ChildProcess, terminate_ends_a_child_that_ignores_nothing) {
  ChildProcess c = ChildProcess::spawn(argv_only({"sleep", "30"}));
  ASSERT_TRUE(c.running());
  const auto t0 = std::chrono::steady_clock::now();
  ExitStatus st = c.terminate(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(st.how, ExitStatus::How::Signalled);
  EXPECT_EQ(st.code, SIGTERM);
}

TEST(ChildProcess, terminate_escalates_to_sigkill_after_the_grace) {
  // The child says when its trap is installed; a SIGTERM before that would end it at once and
  // the test would pass without the escalation it is about.
  SpawnSpec s;
  s.argv = {"sh", "-c", "trap '' TERM; echo trapped >&2; exec sleep 30"};
  s.stderr_pipe = true;
  ChildProcess c = ChildProcess::spawn(s);
  std::string err;
  for (int i = 0; i < 1000 && err.find("trapped\n") == std::string::npos; ++i) {
    c.drain_stderr(err);
    std::this_thread::sleep_for(5ms);  // polling the marker, bounded at 5 s
  }
  ASSERT_EQ(err, "trapped\n");
  ExitStatus st = c.terminate(300ms);
  EXPECT_EQ(st.how, ExitStatus::How::Signalled);
  EXPECT_EQ(st.code, SIGKILL);
}

TEST(ChildProcess, stderr_pipe_and_environment_reach_the_parent) {
  SpawnSpec s;
  s.argv = {"sh", "-c", "echo \"value=$WSBENCH_TEST_VAR\" >&2"};
  s.env = {{"WSBENCH_TEST_VAR", "42"}};
  s.stderr_pipe = true;
  ChildProcess c = ChildProcess::spawn(s);
  std::string err;
  for (int i = 0; i < 500 && err.find('\n') == std::string::npos; ++i) {
    c.drain_stderr(err);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(err, "value=42\n");
  ASSERT_TRUE(c.wait_for(10s));
}

TEST(ChildProcess, missing_program_exits_127_with_the_reason_on_stderr) {
  testing::TempDir dir;
  SpawnSpec s;
  s.argv = {"/nonexistent/wsbench-no-such-program"};
  s.stderr_path = (dir.path() / "err").string();
  ChildProcess c = ChildProcess::spawn(s);
  ASSERT_TRUE(c.wait_for(10s));
  EXPECT_EQ(c.status()->code, 127);
  std::ifstream in(dir.path() / "err");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("exec /nonexistent/wsbench-no-such-program"), std::string::npos) << text;
}

TEST(ChildProcess, format_command_quotes_what_a_shell_would_split) {
  EXPECT_EQ(format_command({{"LD_PRELOAD", "/a b/x.so"}}, {"taskset", "-c", "0", "it's", "plain-1.2:x"}),
            "LD_PRELOAD='/a b/x.so' taskset -c 0 'it'\\''s' plain-1.2:x");
}

TEST(ChildProcess, run_capture_returns_stdout_and_status) {
  auto [st, out] = run_capture({"sh", "-c", "echo hello; exit 0"}, 10s);
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(out, "hello\n");
  auto [st2, out2] = run_capture({"sleep", "30"}, 200ms);
  EXPECT_FALSE(st2.ok());
}

TEST(ChildProcess, find_on_path_finds_sh_and_not_nonsense) {
  EXPECT_TRUE(find_on_path("sh"));
  EXPECT_FALSE(find_on_path("wsbench-surely-not-a-program"));
}


// write_stdin to a child that has exited is a short write, not a SIGPIPE that ends the caller.
TEST(ChildProcess, stdout_and_stdin_pipes_carry_a_conversation) {
  SpawnSpec s;
  s.argv = {"sh", "-c", "read word; echo \"got $word\""};
  s.stdin_pipe = true;
  s.stdout_pipe = true;
  ChildProcess c = ChildProcess::spawn(s);
  ASSERT_GE(c.stdin_fd(), 0);
  EXPECT_EQ(c.write_stdin("ping\n"), 5u);
  ASSERT_TRUE(c.wait_for(10s));
  EXPECT_EQ(c.write_stdin("again\n"), 0u) << "its stdin is closed: nothing goes, and we are still here";
  c.close_stdin();
  std::string out;
  EXPECT_FALSE(c.drain_stdout(out));  // end of file: the child has exited
  EXPECT_EQ(out, "got ping\n");
}

// run_to_completion's input reaches the child's stdin, then end of file.
TEST(ChildProcess, run_to_completion_feeds_the_input_then_end_of_file) {
  SpawnSpec s;
  s.argv = {"sh", "-c", "cat; echo end"};
  s.stdout_pipe = true;
  Completed r = run_to_completion(s, 10s, "one\ntwo\n");
  EXPECT_TRUE(r.status.ok()) << r.status.describe();
  EXPECT_EQ(r.out, "one\ntwo\nend\n");
}

TEST(ChildProcess, cpu_pins_the_child_to_that_cpu) {
  auto r = run_to_completion([] {
    SpawnSpec s;
    s.argv = {"sh", "-c", "grep Cpus_allowed_list /proc/self/status"};
    s.stdout_pipe = true;
    s.cpu = 0;
    return s;
  }(), 10s);
  ASSERT_TRUE(r.status.ok()) << r.status.describe();
  EXPECT_EQ(r.out, "Cpus_allowed_list:\t0\n");
}

TEST(ChildProcess, run_to_completion_captures_both_streams_and_the_exit_code) {
  SpawnSpec s;
  s.argv = {"sh", "-c", "echo out; echo err >&2; exit 5"};
  s.stdout_pipe = true;
  s.stderr_pipe = true;
  Completed r = run_to_completion(s, 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.status.how, ExitStatus::How::Exited);
  EXPECT_EQ(r.status.code, 5);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ChildProcess, run_to_completion_kills_a_child_past_its_timeout) {
  SpawnSpec s;
  s.argv = {"sleep", "30"};
  s.stdout_pipe = true;
  const auto start = std::chrono::steady_clock::now();
  Completed r = run_to_completion(s, 200ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status.how, ExitStatus::How::Signalled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // bounded, not sleep's 30 s
}

TEST(ChildProcess, shell_code_is_128_plus_the_signal) {
  SpawnSpec s;
  s.argv = {"sh", "-c", "kill -SEGV $$"};
  Completed r = run_to_completion(s, 10s);
  EXPECT_EQ(r.status.how, ExitStatus::How::Signalled);
  EXPECT_EQ(r.status.code, SIGSEGV);
  EXPECT_EQ(r.status.shell_code(), 128 + SIGSEGV);
  EXPECT_NE(r.status.describe().find("killed by signal 11"), std::string::npos) << r.status.describe();
}

TEST(ChildProcess, signal_reaches_only_the_spawned_pid) {
  SpawnSpec s;
  s.argv = {"sleep", "30"};
  ChildProcess c = ChildProcess::spawn(s);
  c.signal(SIGUSR1);
  ASSERT_TRUE(c.wait_for(10s));
  EXPECT_EQ(c.status()->how, ExitStatus::How::Signalled);
  EXPECT_EQ(c.status()->code, SIGUSR1);
  c.signal(SIGUSR1);  // reaped: a no-op, never a signal to a recycled PID
}

TEST(ChildProcess, destructor_kills_and_reaps_a_running_child) {
  pid_t pid = -1;
  {
    ChildProcess c = ChildProcess::spawn([] {
      SpawnSpec s;
      s.argv = {"sleep", "30"};
      return s;
    }());
    pid = c.pid();
    ASSERT_EQ(::kill(pid, 0), 0);
  }
  // Reaped: the PID no longer names our child (kill fails, or it names someone else's process,
  // which waitpid says is not ours).
  EXPECT_LT(::waitpid(pid, nullptr, WNOHANG), 0);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace wsalloc::process
