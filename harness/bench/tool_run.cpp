#include "bench/tool_run.hpp"

#include <fstream>
#include <sstream>

#include "bench/server_launch.hpp"

namespace wsalloc::bench {

ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                    const std::filesystem::path& workdir, const std::string& tag,
                    const std::vector<std::pair<std::string, std::string>>& env) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.stdout_path = (workdir / (tag + ".stdout")).string();
  spec.stderr_path = (workdir / (tag + ".stderr")).string();
  ToolResult r;
  {
    ChildProcess c = ChildProcess::spawn(spec);
    r.status = c.wait_for(timeout) ? *c.status() : c.terminate(std::chrono::milliseconds(500));
  }
  std::ifstream in(spec.stdout_path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  r.err_tail = last_line(file_tail(spec.stderr_path));
  return r;
}

std::string describe_failure(const std::string& what, const ToolResult& r) {
  return what + ": " + r.status.describe() + (r.err_tail.empty() ? "" : " (stderr: " + r.err_tail + ")");
}

}  // namespace wsalloc::bench
