// Is a target defined by a file runnable on this machine, and what can the allocation counter see
// in it? Static checks only (files, PATH, ELF headers), plus the target's version_args when given.
//
// Unavailable, with the reason (and the file's hint for what to do):
//   command[0] not an executable file / not on PATH, a [requires] file or an LD_PRELOAD entry
//   missing, version_args failing.
// Counter coverage, detected from the program (through a "#!" script to its interpreter):
//   statically linked or a Go program: invisible (whatever the file declares, but incompatible);
//   `java`: libc-only unless the file declares otherwise.
#pragma once

#include "bench/target_file.hpp"

namespace wsalloc::bench {

void check_availability(TargetDefinition& def);

}  // namespace wsalloc::bench
