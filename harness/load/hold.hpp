// wsload --hold: after set-up, one measuring window per command on stdin ("window W D"), each
// printed as it ends, on the same connections; "quit", end of input or 120 s without a command
// end the hold with the Close handshakes.
#pragma once

#include <cstddef>
#include <thread>
#include <vector>

#include "load/exit_code.hpp"
#include "load/results.hpp"
#include "load/run_watch.hpp"

namespace wsalloc::load {

// Runs the windows (stdout: each window's result; stderr: "wsload: window done" after it), then
// closes the connections and joins `threads`. Returns the worst window's exit code (Usage after a
// line that is not a command).
ExitCode hold_windows(Watch& watch, std::vector<std::thread>& threads, const Setup& setup, size_t total_conns,
                      RunResult& result);

}  // namespace wsalloc::load
