// exit_status.hpp: exit statuses of wsalloc-instr and wsalloc-instr-allocs (the gate maps them).
#pragma once

namespace wsalloc::micro {

enum ExitStatus : int {
  kExitOk = 0,
  kExitHarnessError = 2,  // bad arguments, valgrind missing or failing, unreadable output
};

}  // namespace wsalloc::micro
