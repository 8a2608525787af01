#include "server_process.hpp"  // first: the header stands alone

#include <gtest/gtest.h>

#include <signal.h>

using wsalloc::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

// Fake servers written in sh: the contract flags appended by start() land in $0.. and are ignored.
std::vector<std::string> sh(const std::string& script) { return {"/bin/sh", "-c", script}; }

}  // namespace

TEST(ServerProcess, start_reads_port_from_ready_line) {
  ServerProcess p;
  ASSERT_EQ(p.start(sh("echo 'listening on 127.0.0.1:4242'; exec sleep 30"), 5s),
            ServerProcess::StartResult::Ready)
      << p.error();
  EXPECT_EQ(p.port(), 4242);
  EXPECT_EQ(p.ready_line(), "listening on 127.0.0.1:4242");
  EXPECT_TRUE(p.running());
}

TEST(ServerProcess, start_accepts_ipv6_host_in_ready_line) {
  ServerProcess p;
  ASSERT_EQ(p.start(sh("echo 'listening on ::1:9001'; exec sleep 30"), 5s),
            ServerProcess::StartResult::Ready)
      << p.error();
  EXPECT_EQ(p.port(), 9001);
}

TEST(ServerProcess, start_reports_exit_before_ready_line) {
  ServerProcess p;
  EXPECT_EQ(p.start(sh("exit 3"), 5s), ServerProcess::StartResult::ExitedBeforeReady);
  EXPECT_NE(p.error().find("exit code 3"), std::string::npos) << p.error();
  EXPECT_FALSE(p.running());
}

TEST(ServerProcess, start_times_out_without_ready_line) {
  ServerProcess p;
  EXPECT_EQ(p.start(sh("exec sleep 30"), 100ms), ServerProcess::StartResult::TimedOut);
  EXPECT_TRUE(p.running());  // the destructor kills it
}

TEST(ServerProcess, start_rejects_line_without_port) {
  ServerProcess p;
  EXPECT_EQ(p.start(sh("echo 'ready'; exec sleep 30"), 5s),
            ServerProcess::StartResult::MalformedReadyLine);
  EXPECT_NE(p.error().find("'ready'"), std::string::npos) << p.error();
}

TEST(ServerProcess, start_reports_missing_binary) {
  ServerProcess p;
  EXPECT_EQ(p.start({"/nonexistent/wsalloc-server"}, 1s), ServerProcess::StartResult::SpawnFailed);
  EXPECT_NE(p.error().find("/nonexistent/wsalloc-server"), std::string::npos) << p.error();
}

TEST(ServerProcess, stop_reports_exit_code_of_server_handling_sigterm) {
  ServerProcess p;
  ASSERT_EQ(p.start(sh("trap 'exit 7' TERM; echo 'listening on 127.0.0.1:1'; "
                       "while :; do sleep 0.01; done"),
                    5s),
            ServerProcess::StartResult::Ready)
      << p.error();
  EXPECT_EQ(p.stop(5s), ServerProcess::StopResult::Exited) << p.error();
  EXPECT_EQ(p.exit_code(), 7);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.stop(1s), ServerProcess::StopResult::NotRunning);
}

TEST(ServerProcess, stop_reports_death_by_unhandled_sigterm) {
  ServerProcess p;
  ASSERT_EQ(p.start(sh("echo 'listening on 127.0.0.1:1'; exec sleep 30"), 5s),
            ServerProcess::StartResult::Ready)
      << p.error();
  EXPECT_EQ(p.stop(5s), ServerProcess::StopResult::Signalled);
  EXPECT_EQ(p.term_signal(), SIGTERM);
}

TEST(ServerProcess, stop_kills_server_ignoring_sigterm_after_timeout) {
  ServerProcess p;
  ASSERT_EQ(p.start(sh("trap '' TERM; echo 'listening on 127.0.0.1:1'; "
                       "while :; do sleep 0.01; done"),
                    5s),
            ServerProcess::StartResult::Ready)
      << p.error();
  EXPECT_EQ(p.stop(200ms), ServerProcess::StopResult::KilledAfterTimeout);
  EXPECT_FALSE(p.running());
}
