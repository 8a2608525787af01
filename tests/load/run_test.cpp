#include "load/run.hpp"

#include <gtest/gtest.h>

#include "process.hpp"

#ifndef WSLOAD_FIXTURE_BIN
#error "WSLOAD_FIXTURE_BIN must name the fixture server binary"
#endif

namespace wsalloc::load {
namespace {

TEST(Run, exit_code_ranks_timeout_then_no_connection_then_errors) {
  RunResult r;
  r.connections_established = 0;
  EXPECT_EQ(exit_code_for(r), ExitCode::ConnectFailed);
  r.counters.errors.handshake_failed = 1;
  EXPECT_EQ(exit_code_for(r), ExitCode::HandshakeFailed);
  r.connections_established = 1;
  EXPECT_EQ(exit_code_for(r), ExitCode::Errors);
  r.counters.errors = {};
  EXPECT_EQ(exit_code_for(r), ExitCode::Ok);
  r.timed_out = true;
  EXPECT_EQ(exit_code_for(r), ExitCode::Timeout);
}

// The library entry point, in process, against the fixture server.
TEST(Run, in_process_run_against_a_correct_server_counts_verified_echoes) {
  std::string error;
  auto server = test::Server::start({WSLOAD_FIXTURE_BIN, "--mode", "echo", "--lifetime", "60"}, error);
  ASSERT_TRUE(server) << error;
  Config cfg;
  cfg.port = server->port();
  cfg.connections = 2;
  cfg.threads = 2;
  cfg.pipeline = 4;
  cfg.duration_s = 0.5;
  cfg.drain_s = 1;
  cfg.hard_timeout_s = 20;
  cfg.quiet = true;
  RunResult r;
  EXPECT_EQ(run_load(cfg, r), ExitCode::Ok) << (r.first_errors.empty() ? "" : r.first_errors[0]);
  EXPECT_GT(r.counters.messages, 0u);
  EXPECT_EQ(r.counters.errors.total(), 0u);
  EXPECT_EQ(r.latency.count(), r.counters.messages);
  EXPECT_EQ(r.counters.handshakes, 2u);
  EXPECT_EQ(r.connections_established, 2u);
  EXPECT_GE(r.duration_s, 0.5);  // the window is never cut short
  EXPECT_LT(r.duration_s, 5.0);
  EXPECT_GT(r.cpu.user_s + r.cpu.sys_s, 0.0);
}

}  // namespace
}  // namespace wsalloc::load
