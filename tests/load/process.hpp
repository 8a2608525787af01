// Child processes for the integration tests: start a server and learn its port, run wsload and
// collect its output and exit status. A thin layer over the process library
// (harness/process): every wait is bounded; a child that overstays is killed (by its PID) and
// reaped, so no test can leave a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "process/child_process.hpp"

namespace wsalloc::load::test {

// A server started with Server::start: its stdout is read until `listening on HOST:PORT`.
class Server {
 public:
  // Returns nullopt (with `error` filled) if the binary cannot start or prints no listening line
  // within `timeout`.
  static std::optional<Server> start(const std::vector<std::string>& argv, std::string& error,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Server(Server&& o) noexcept;
  Server& operator=(Server&&) = delete;
  ~Server();  // SIGTERM, up to 2 s to exit, then SIGKILL; always reaped

  uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return child_.pid(); }

 private:
  Server(process::ChildProcess child, uint16_t port) : child_(std::move(child)), port_(port) {}
  process::ChildProcess child_;  // its stdout pipe stays open: a chatty server cannot get SIGPIPE
  uint16_t port_ = 0;
};

struct RunOutput {
  int exit_code = -1;      // the child's exit status; 128 + signal if killed
  bool timed_out = false;  // killed by us after `timeout`
  std::string out;
  std::string err;
};

// Runs argv to completion (stdin from /dev/null, or `input`, then end of file), capturing stdout and stderr. `extra_env`
// ("NAME=value") is added to this process's environment for the child.
RunOutput run_to_completion(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                            const std::vector<std::string>& extra_env = {}, const std::string& input = {});

// A loopback TCP port that nothing listens on (bound, then closed again).
uint16_t closed_port();

}  // namespace wsalloc::load::test
