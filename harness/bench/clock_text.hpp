// Wall-clock text for records and folder names (UTC, so runs on different machines sort together).
#pragma once

#include <chrono>
#include <string>

namespace wsalloc::bench {

std::string utc_iso(std::chrono::system_clock::time_point t);        // 2025-11-26T15:13:00Z
std::string utc_compact(std::chrono::system_clock::time_point t);    // 20251126T151300Z (folder names)
std::string format_duration(double seconds);                          // "45s", "3m05s", "1h02m"

}  // namespace wsalloc::bench
