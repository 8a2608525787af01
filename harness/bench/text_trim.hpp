// Text read from a child process or a file (git's output, a version line) without the spaces,
// tabs, CRs and LFs around it. One home for wsbench and the gate.
#pragma once

#include <string>

namespace wsalloc::bench {

inline std::string trim(std::string s) {
  s.erase(s.find_last_not_of(" \r\n\t") + 1);  // all blank: npos + 1 == 0 erases everything
  s.erase(0, s.find_first_not_of(" \r\n\t"));
  return s;
}

}  // namespace wsalloc::bench
