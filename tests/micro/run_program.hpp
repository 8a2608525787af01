// run_program.hpp (test support): runs a shell command, returns its exit status and stdout.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace wsalloc::micro::testing {

struct ProgramRun {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
};

inline ProgramRun run_program(const std::string& command) {
  ProgramRun r;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

}  // namespace wsalloc::micro::testing
