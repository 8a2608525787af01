// callgrind_out.hpp: reads the event total out of a callgrind output file.
//
// The file names its events once ("events: Ir ...") and ends with their totals, "totals: N ..."
// (valgrind >= 3.x also writes, or older ones write only, "summary: N ..."). The numbers are in the
// order of the events line.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

namespace wsalloc::micro {

enum class CallgrindParse : uint8_t {
  Ok,
  NoEventsLine,   // not a callgrind file, or truncated before its header
  NoSuchEvent,    // the events line does not list the event asked for
  NoTotalsLine,   // the run did not finish writing (crashed, killed)
  BadNumber,      // a totals/summary field that is not a decimal number
};

struct CallgrindTotal {
  CallgrindParse status = CallgrindParse::NoEventsLine;
  uint64_t value = 0;   // meaningful when status == Ok
};

// Prefers "totals:" and falls back to "summary:". `event` defaults to instructions executed.
CallgrindTotal callgrind_total(std::istream& in, std::string_view event = "Ir");

std::string_view to_string(CallgrindParse status) noexcept;

}  // namespace wsalloc::micro
