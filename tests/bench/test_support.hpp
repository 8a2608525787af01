// Helpers shared by the wsbench tests: a temporary folder that removes itself, and file writing.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "../process/temp_dir.hpp"
#include "bench/paths.hpp"

namespace wsalloc::bench::testing {

// The process tests' self-removing folder, named for wsbench's tests.
class TempDir : public process::testing::TempDir {
 public:
  TempDir() : process::testing::TempDir("wsbench-test") {}
};

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A shell script that behaves like a server under the CLI contract (or not), for launch tests.
inline std::filesystem::path write_script(const std::filesystem::path& p, const std::string& body) {
  write_file(p, "#!/bin/sh\n" + body + "\n");
  std::filesystem::permissions(p, std::filesystem::perms::owner_all);
  return p;
}

// Paths of a repository in `dir` (scenarios/, results/, bin/ as the test writes them) that uses
// the real repository's target files.
inline BenchPaths temp_paths(const TempDir& dir) {
  BenchPaths p;
  p.repo_root = dir.path();
  p.bin_dir = dir.path() / "bin";
  p.lib_dir = dir.path() / "lib";
  p.scenarios_dir = dir.path() / "scenarios";
  p.targets_dir = std::filesystem::path(WSALLOC_SOURCE_DIR) / "targets";
  p.results_dir = dir.path() / "results";
  p.peers_dir = dir.path() / ".peers";
  return p;
}

// The end-to-end suites' scenario: short enough for seconds, long enough to measure.
inline void write_tiny_echo(const TempDir& dir) {
  write_file(dir.path() / "scenarios" / "tiny-echo.toml", R"(
description = "32-byte echo, 10 connections, for the test suite"
kind = "echo"
[load]
connections = 10
payload = 32
duration = 0.3
warmup = 0.1
)");
}

}  // namespace wsalloc::bench::testing
