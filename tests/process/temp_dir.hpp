// A temporary folder that removes itself, for the process library's tests (stdout files) and the
// wsbench tests (tests/bench/test_support.hpp).
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace wsalloc::process::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "wsalloc-process-test") {
    static std::atomic<int> n{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace wsalloc::process::testing
