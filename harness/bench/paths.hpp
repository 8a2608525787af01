// Where wsbench finds things: its sibling binaries, the counter library, the repository (scenarios,
// targets, peers, results). Defaults come from the running executable and the source tree it was built
// from; every one can be overridden on the command line (tests point them at temporary folders).
#pragma once

#include <filesystem>

namespace wsalloc::bench {

struct BenchPaths {
  std::filesystem::path repo_root;      // the source tree (WSALLOC_SOURCE_DIR at build time)
  std::filesystem::path bin_dir;        // <build>/bin: wsload, wsalloc-server, peers, rawecho
  std::filesystem::path lib_dir;        // <build>/lib: libwsalloc-malloccount.so
  std::filesystem::path scenarios_dir;  // <repo>/scenarios
  std::filesystem::path targets_dir;    // <repo>/targets: the built-in target files
  std::filesystem::path results_dir;    // <repo>/results: runs/<id>/ and the `latest` link
  std::filesystem::path peers_dir;      // <repo>/.peers: npm-installed peers (bun)
};

// Defaults: bin_dir = the directory of /proc/self/exe, lib_dir = bin_dir/../lib, the rest under
// the source tree compiled in.
BenchPaths default_paths();

}  // namespace wsalloc::bench
