// wsload: the WebSocket load generator. See `wsload --help`, and results.hpp for what is counted.
#include <cstdio>
#include <variant>

#include "load/config.hpp"
#include "load/results.hpp"
#include "load/run.hpp"

int main(int argc, char** argv) {
  using namespace wsalloc::load;
  const auto parsed = parse_command_line(argc, argv);
  if (const auto* code = std::get_if<ExitCode>(&parsed)) return static_cast<int>(*code);
  if (const auto* merge = std::get_if<MergeArgs>(&parsed)) return static_cast<int>(run_merge(*merge));
  const Config& cfg = std::get<Config>(parsed);
  RunResult result;
  const ExitCode code = run_load(cfg, result);
  if (result.windows_printed > 0) return static_cast<int>(code);  // --hold: each window printed its own
  if (cfg.json) {
    std::printf("%s\n", to_json(result).dump().c_str());
  } else {
    std::printf("%s", human_summary(result).c_str());
  }
  if (code == ExitCode::Errors) {
    std::fprintf(stderr, "wsload: %llu error(s) counted; first: %s\n",
                 static_cast<unsigned long long>(result.counters.errors.total()),
                 result.first_errors.empty() ? "?" : result.first_errors.front().c_str());
  }
  return static_cast<int>(code);
}
