#include "micro/child_run.hpp"

#include <cerrno>
#include <cstring>

#include "process/child_process.hpp"

namespace wsalloc::micro {

ChildStatus run_child(const std::vector<std::string>& argv, const std::string& stdout_path,
                      const std::string& stderr_path) {
  // The process library reports a missing program as exit 127 from the child; wsalloc-instr names
  // it before starting anything, as posix_spawnp did.
  if (argv.empty() || !process::find_on_path(argv[0])) return {ChildEnd::SpawnFailed, ENOENT};
  const process::SpawnSpec spec{.argv = argv, .stdout_path = stdout_path, .stderr_path = stderr_path};
  process::ChildProcess child;
  try {
    child = process::ChildProcess::spawn(spec);
  } catch (const std::system_error& e) {
    return {ChildEnd::SpawnFailed, e.code().value()};
  }
  // No deadline: valgrind runs as long as the workload takes; the caller's own timeout (ctest,
  // the gate) bounds it, and PR_SET_PDEATHSIG ends the child if we are killed.
  while (!child.wait_for(std::chrono::hours(1))) {
  }
  const process::ExitStatus& st = *child.status();
  if (st.how == process::ExitStatus::How::Signalled) return {ChildEnd::Signalled, st.code};
  return {ChildEnd::Exited, st.code};
}

std::string describe(const ChildStatus& s) {
  switch (s.end) {
    case ChildEnd::Exited: return "exited with " + std::to_string(s.code);
    case ChildEnd::Signalled: return "killed by signal " + std::to_string(s.code) + " (" + strsignal(s.code) + ")";
    case ChildEnd::SpawnFailed: return std::string("could not start: ") + std::strerror(s.code);
  }
  return "unknown";
}

}  // namespace wsalloc::micro
