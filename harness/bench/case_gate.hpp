// CaseGate: can this case run on this target? Answers with the reason when it cannot, probing the
// target where the answer is not static (a server flag in its --help, a behaviour such as
// broadcast observed on a running server). Probe answers are cached for the whole run.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "bench/probe_client.hpp"
#include "bench/run_record.hpp"
#include "bench/scenario.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

// True when `help` (a --help text) lists `flag` as a whole word ("--deflate" is not in "--deflate-level").
bool help_lists_flag(const std::string& help, const std::string& flag);

struct Refusal {
  RunStatus status;  // Unavailable or Skipped
  std::string reason;
};

class CaseGate {
 public:
  CaseGate(std::string host, std::filesystem::path workdir) : host_(std::move(host)), workdir_(std::move(workdir)) {}

  std::optional<Refusal> check(const Scenario& s, const Case& c, const Target& t);

 private:
  const std::string& help_text(const Target& t);
  const Probe& feature(const Target& t, const std::string& feature, const std::string& path);

  std::string host_;
  std::filesystem::path workdir_;
  std::map<std::string, std::string> help_;                            // target -> its --help text
  std::map<std::pair<std::string, std::string>, Probe> features_;     // (target, feature) -> probe
};

}  // namespace wsalloc::bench
