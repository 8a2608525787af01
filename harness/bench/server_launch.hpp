// Starting a target server for one measurement and stopping it again.
//
// launch_server(): spawn (optionally pinned with `taskset -c CPU`, optionally under a wrapper such
// as heaptrack), wait until it is ready (its "listening on H:P" line, or accepting connections for
// targets that print nothing), and report the port. A server that exits or stays silent is a
// LaunchFailure whose reason quotes its exit status and the last line of its stderr.
// stop_server(): SIGTERM to the server's PID, a grace period, then SIGKILL; returns how it ended.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "bench/child_process.hpp"
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
  std::chrono::milliseconds ready_timeout{15'000};
};

struct RunningServer {
  ChildProcess child;     // what we spawned (taskset execs, so usually the server itself)
  pid_t server_pid = -1;  // the server process (a descendant when a wrapper forks it)
  uint16_t port = 0;
  std::string command;    // shell-quoted, env included: paste it to reproduce
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
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
uint16_t parse_listening_port(const std::string& text);

// The last `max_bytes` of a file (for error reasons), trimmed to whole lines.
std::string file_tail(const std::filesystem::path& p, size_t max_bytes = 2048);
// The last non-empty line of `text`.
std::string last_line(const std::string& text);

}  // namespace wsalloc::bench
