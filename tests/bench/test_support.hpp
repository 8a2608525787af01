// Helpers shared by the wsbench tests: a temporary folder that removes itself, and file writing.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace wsalloc::bench::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            ("wsbench-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
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

}  // namespace wsalloc::bench::testing
