// The ready line of the server CLI contract: a server prints `listening on HOST:PORT` (HOST may be
// an IPv6 literal) once it accepts connections; whoever started it learns the port from that line.
//
// wait_for_line() watches a child's output (its stdout pipe, or the file its stdout goes to) for
// the first complete line a predicate accepts, with a deadline. Only complete lines count: a line
// still being written could still be growing its port number ("listening on 127.0.0.1:4" of
// ":40123").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "process/child_process.hpp"

namespace wsalloc::process {

// Parses "listening on HOST:PORT" anywhere in `text`; 0 if absent or the port is not in 1..65535.
uint16_t parse_listening_port(const std::string& text);

// The port of a line that is exactly `listening on H:P` (P after the last ':', in 1..65535).
std::optional<uint16_t> port_of_ready_line(std::string_view line);

enum class LineWait : uint8_t {
  Found,     // `line` is the accepted line
  Rejected,  // first_line_only: the first line came and was not accepted; `line` is it
  Exited,    // the child ended first (its status is in the ChildProcess)
  TimedOut,  // nothing accepted within the timeout; the child is still running
};

struct LineWaitResult {
  LineWait outcome = LineWait::TimedOut;
  std::string line;  // without its '\n'
  std::string seen;  // everything read so far (for error messages)
};

struct LineSource {
  std::string file;  // "" = the child's stdout pipe (spawned with stdout_pipe)
};

// Polls every 5 ms (short next to any timeout used) until a complete line of `source` satisfies
// `accept`, the child exits, or `timeout` passes. With `first_line_only`, only the first line is
// judged. Reaps the child when it exits; never signals it.
LineWaitResult wait_for_line(ChildProcess& child, const LineSource& source,
                             const std::function<bool(const std::string& line)>& accept,
                             std::chrono::milliseconds timeout, bool first_line_only = false);

// The whole file (empty when it cannot be read).
std::string read_whole_file(const std::string& path);

}  // namespace wsalloc::process
