// child_run.hpp: runs a program to completion with its stdout and stderr in files. For
// wsalloc-instr's driver, which starts valgrind once per workload and the allocation twin once.
#pragma once

#include <string>
#include <vector>

namespace wsalloc::micro {

enum class ChildEnd : uint8_t {
  Exited,       // code holds the exit status
  Signalled,    // code holds the signal number
  SpawnFailed,  // code holds the errno of posix_spawnp (e.g. ENOENT: program not on PATH)
};

struct ChildStatus {
  ChildEnd end = ChildEnd::SpawnFailed;
  int code = 0;
  bool ok() const noexcept { return end == ChildEnd::Exited && code == 0; }
};

// argv[0] is looked up on PATH when it has no '/'. The files are created or truncated.
ChildStatus run_child(const std::vector<std::string>& argv, const std::string& stdout_path,
                      const std::string& stderr_path);

// "exited with 3", "killed by signal 11", "could not start: No such file or directory".
std::string describe(const ChildStatus& s);

}  // namespace wsalloc::micro
