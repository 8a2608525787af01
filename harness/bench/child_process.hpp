// wsbench's names for the process library (harness/process/child_process.hpp): the launcher moved
// there so the tests and wsalloc-instr start children the same way; wsbench's files keep their
// spelling.
#pragma once

#include "process/child_process.hpp"

namespace wsalloc::bench {

using process::ChildProcess;
using process::ExitStatus;
using process::find_on_path;
using process::format_command;
using process::run_capture;
using process::SpawnSpec;

}  // namespace wsalloc::bench
