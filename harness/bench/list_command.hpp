// `wsbench list`: the scenarios (with their cases and what they need) and the targets (with what is
// unavailable and why). With probing (the default) each target is started once, and each case that
// needs a server feature or flag is checked against every target, as `run` would.
#pragma once

#include <string>
#include <vector>

#include "bench/paths.hpp"

namespace wsalloc::bench {

struct ListOptions {
  bool probe = true;
  bool json = false;   // machine-readable: {"scenarios": [...], "targets": [...], "cases": [...]}
  std::vector<std::string> target_files;  // --target-file: listed after the built-in targets
  std::vector<std::string> target_urls;   // --target-url
};

int list_command(const BenchPaths& paths, const ListOptions& opts);

}  // namespace wsalloc::bench
