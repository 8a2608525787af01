// Starting a target server for one measurement and stopping it again.
//
// launch_server(): spawn (optionally pinned with `taskset -c CPU`, optionally under a wrapper such
// as heaptrack), wait until it is ready (the target's ready rule: a line it prints, e.g. the
// contract's "listening on H:P", or its port accepting connections), and report the port. A server
// that exits is a LaunchFailure quoting its exit status and the last lines of its stderr; one that
// stays silent past its ready timeout, the last lines it printed on stdout and stderr.
// stop_server(): the target's stop signal (SIGTERM) to the server's PID, a grace period, then
// SIGKILL; returns how it ended.
#pragma once

#include <sys/types.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "bench/child_process.hpp"
#include "process/ready_line.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

struct LaunchSpec {
  const Target* target = nullptr;
  std::string host = "127.0.0.1";
  std::vector<std::string> extra_args;                         // a case's server_args
  std::vector<std::pair<std::string, std::string>> env;        // e.g. WSALLOC_MALLOCCOUNT_FILE
  std::vector<std::string> preload_first;                      // LD_PRELOAD entries before the target's own
  int cpu = -1;                                                // taskset -c CPU; -1 = not pinned
  std::vector<std::string> wrapper;                            // e.g. {"heaptrack", "-o", FILE}
  std::filesystem::path workdir;                               // server.stdout / server.stderr go here
  std::string file_tag = "server";
  std::optional<std::chrono::milliseconds> ready_timeout;     // default: the target's own
};

struct RunningServer {
  ChildProcess child;     // what we spawned (taskset execs, so usually the server itself)
  pid_t server_pid = -1;  // the server process (a descendant when a wrapper forks it)
  uint16_t port = 0;
  std::string command;    // shell-quoted, env included: paste it to reproduce
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
  int stop_signal = SIGTERM;                              // the target's
  std::optional<std::chrono::milliseconds> stop_grace;    // the target's, when it sets one
};

struct LaunchFailure {
  std::string reason;
  std::string command;
};

std::variant<RunningServer, LaunchFailure> launch_server(const LaunchSpec& spec);

struct StopOutcome {
  ExitStatus status;
  bool clean = false;         // exited 0 on SIGTERM within the grace period
  std::string stderr_tail;    // last ~2 KiB of its stderr
};
StopOutcome stop_server(RunningServer& s, std::chrono::milliseconds grace);

// Parses "listening on HOST:PORT" (HOST may be an IPv6 literal) anywhere in `text`; 0 if absent.
using process::parse_listening_port;

// The last `max_bytes` of a file (for error reasons), trimmed to whole lines.
std::string file_tail(const std::filesystem::path& p, size_t max_bytes = 2048);
// The last non-empty line of `text`.
std::string last_line(const std::string& text);
// Its last `n` non-empty lines, each quoted, joined by " | " (for "never became ready" reasons).
std::string last_lines(const std::string& text, size_t n);

}  // namespace wsalloc::bench
