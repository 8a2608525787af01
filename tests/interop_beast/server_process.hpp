// ServerProcess: runs one server binary under the wsalloc CLI contract for a test.
//
// Contract it relies on: the server accepts `--host 127.0.0.1 --port 0` (appended to the given argv),
// prints one line `listening on H:P` on stdout when ready, and exits 0 on SIGTERM.
//
// Lifetime: the child lives from start() until stop() or the destructor. The destructor SIGKILLs a
// child still running and reaps it, so a failed test never leaves a server behind. Only the child's
// own PID is ever signalled.
//
// Built on the process library (harness/process): spawn, ready line, stop by PID.
//
// The child's stdout goes to a temporary file, not a pipe: a server that keeps printing after its
// ready line can neither block on a full pipe nor die of SIGPIPE when the test stops reading.
// Its stderr is inherited, so server diagnostics show up in the test log.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "process/child_process.hpp"

namespace wsalloc::test {

class ServerProcess {
 public:
  enum class StartResult : uint8_t {
    Ready,               // ready line seen; port() is valid
    SpawnFailed,         // posix_spawn failed (see error())
    ExitedBeforeReady,   // the child ended before printing the ready line
    TimedOut,            // no ready line within the timeout (the child is still running)
    MalformedReadyLine,  // first line is not `listening on H:P` with P in 1..65535
  };
  enum class StopResult : uint8_t {
    Exited,          // exited by itself after SIGTERM; exit_code() is valid
    Signalled,       // killed by a signal (SIGTERM not handled); term_signal() is valid
    KilledAfterTimeout,  // did not exit within the timeout; SIGKILLed
    NotRunning,      // nothing to stop (never started, or already reaped)
  };

  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  // Starts argv[0] (a path, not searched in PATH) with argv[1..] plus the contract flags and waits up
  // to `ready_timeout` for the ready line. May be called once per object.
  StartResult start(const std::vector<std::string>& argv, std::chrono::milliseconds ready_timeout);

  // Sends SIGTERM once and returns at once (for tests that watch the server shut down).
  void terminate() noexcept;
  // SIGTERM (unless terminate() sent it already), then waits up to `timeout` for the child to exit;
  // SIGKILL after that.
  StopResult stop(std::chrono::milliseconds timeout);

  bool running() const noexcept { return child_.running(); }
  pid_t pid() const noexcept { return child_.pid(); }
  uint16_t port() const noexcept { return port_; }
  int exit_code() const noexcept { return exit_code_; }      // after StopResult::Exited
  int term_signal() const noexcept { return term_signal_; }  // after StopResult::Signalled
  const std::string& ready_line() const noexcept { return ready_line_; }
  // What went wrong, with the command line; empty after Ready / Exited.
  const std::string& error() const noexcept { return error_; }

 private:
  process::ChildProcess child_;
  uint16_t port_ = 0;
  int exit_code_ = -1;
  int term_signal_ = 0;
  bool sigterm_sent_ = false;
  std::string stdout_path_;
  std::string command_;
  std::string ready_line_;
  std::string error_;
};

const char* to_string(ServerProcess::StartResult r) noexcept;
const char* to_string(ServerProcess::StopResult r) noexcept;

}  // namespace wsalloc::test
