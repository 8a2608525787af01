// cpu_time.hpp: getrusage/wait4 times in seconds. The one conversion of a timeval for wsload's
// CPU figures and ChildProcess's exit status.
#pragma once

#include <sys/time.h>

namespace wsalloc::process {

constexpr double seconds(const timeval& tv) noexcept {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace wsalloc::process
