// Reading /proc's text files: the one home of the helpers procfs.cpp, schedstat.cpp and
// process_costs.cpp share (whole-file reads, "Key: value" lines, /proc/PID/stat's fields, a
// process's threads).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wsalloc::bench {

// The whole file (a /proc file's size is 0 in stat(2), so it is read until EOF); nullopt when it
// cannot be opened (the process or thread is gone, or permission is denied).
std::optional<std::string> read_proc_file(const std::string& path);

// The number of the line "Key:<blanks>1234[ kB]" in /proc's key-value files (status, io).
std::optional<uint64_t> proc_field(std::string_view text, std::string_view key);

// Field `n` (1-based, as proc(5) numbers them) of a /proc/PID/stat line. The command name (field 2)
// may contain spaces and parentheses, so fields from 3 on are counted after the LAST ')'.
std::optional<uint64_t> stat_field(std::string_view stat_line, unsigned n);

// Calls `each(tid)` for every thread of `pid` listed in /proc/PID/task; false when the process is gone.
bool for_each_thread(pid_t pid, const std::function<void(pid_t)>& each);

}  // namespace wsalloc::bench
