// Running one helper program (wsalloc-instr, wsload; the gate's and `wsbench run`'s instructions
// step) to completion, bounded in time, with stdout captured and stderr kept in a file so a failure
// can quote it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bench/child_process.hpp"

namespace wsalloc::bench {

struct ToolResult {
  ExitStatus status;
  std::string out;          // all of stdout
  std::string err_tail;     // the last line of stderr, for error messages
};

// The child is killed (and reaped) when `timeout` passes; its status then says "killed by signal".
ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                    const std::filesystem::path& workdir, const std::string& tag,
                    const std::vector<std::pair<std::string, std::string>>& env = {});

// "<what>: <status>[ (stderr: <last line>)]": how a failed run is quoted in an error.
std::string describe_failure(const std::string& what, const ToolResult& r);

}  // namespace wsalloc::bench
