// ProbeProcess: runs a program with extra environment variables and talks to it over pipes,
// for tests that drive wsalloc-malloccount-probe through its marker protocol. Built on the process
// library (harness/process). Every wait is bounded; a child still running at destruction is
// killed (by its pid) and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "process/child_process.hpp"

namespace wsalloc::malloccount::testing {

class ProbeProcess {
 public:
  // argv[0] is the program path. `env` entries ("NAME=value") replace same-named variables of
  // this process's environment. Throws std::system_error when the spawn fails.
  ProbeProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~ProbeProcess();
  ProbeProcess(const ProbeProcess&) = delete;
  ProbeProcess& operator=(const ProbeProcess&) = delete;

  pid_t pid() const noexcept { return child_.pid(); }
  // The next stdout line without its '\n'; nullopt on EOF or when `limit` passes first.
  std::optional<std::string> next_line(std::chrono::milliseconds limit);
  // Lets a probe that wrote a marker go on.
  void resume();
  // Exit status (0-255), 128+signal when killed by one, or nullopt when `limit` passed (the child
  // is then killed).
  std::optional<int> wait_exit(std::chrono::milliseconds limit);

 private:
  process::ChildProcess child_;
  std::string pending_;
};

// A fresh path for a counter file (in /dev/shm when it exists), unique per process and call.
std::string fresh_counter_path(const std::string& tag);

}  // namespace wsalloc::malloccount::testing
