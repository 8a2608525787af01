#include "bench/paths.hpp"

#include <system_error>

#ifndef WSALLOC_SOURCE_DIR
#error "WSALLOC_SOURCE_DIR must be defined by the build (the repository root)"
#endif

namespace wsalloc::bench {

BenchPaths default_paths() {
  namespace fs = std::filesystem;
  BenchPaths p;
  p.repo_root = WSALLOC_SOURCE_DIR;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  p.bin_dir = ec ? fs::current_path() : exe.parent_path();
  p.lib_dir = p.bin_dir.parent_path() / "lib";
  p.scenarios_dir = p.repo_root / "scenarios";
  p.targets_dir = p.repo_root / "targets";
  p.results_dir = p.repo_root / "results";
  p.peers_dir = p.repo_root / ".peers";
  return p;
}

}  // namespace wsalloc::bench
