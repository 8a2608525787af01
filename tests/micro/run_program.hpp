// run_program.hpp (test support): runs a shell command through the process library, returns its
// exit status and stdout. Bounded: a command still running after kTimeout (100 s) is killed, and the test
// sees exit_code -1.
#pragma once

#include <chrono>
#include <string>

#include "process/child_process.hpp"

namespace wsalloc::micro::testing {

struct ProgramRun {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
};

inline ProgramRun run_program(const std::string& command) {
  // Below the suites' ctest TIMEOUTs (120 s, 300 s), so the test, not ctest, reports the hang.
  constexpr std::chrono::seconds kTimeout{100};
  process::SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", command};
  spec.stdout_pipe = true;
  spec.stderr_inherit = true;  // what popen did: the command's own `2>&1` decides
  ProgramRun r;
  process::Completed c = process::run_to_completion(spec, kTimeout);
  r.out = std::move(c.out);
  if (!c.timed_out && c.status.how == process::ExitStatus::How::Exited) r.exit_code = c.status.code;
  return r;
}

}  // namespace wsalloc::micro::testing
