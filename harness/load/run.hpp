// The coordinator: resolves the address, starts the workers, releases them together, shows
// progress, enforces the hard timeout, collects and prints the result.
#pragma once

#include "load/config.hpp"
#include "load/results.hpp"

namespace wsalloc::load {

// Runs the load described by cfg; fills `result` (also on failure, as far as it got) and returns
// the exit code. Prints the summary (or JSON) on stdout and the reasons for failure on stderr.
ExitCode run_load(const Config& cfg, RunResult& result);

// `wsload merge`: reads the files, merges them, prints JSON (or the summary).
ExitCode run_merge(const MergeArgs& args);

// The exit code a finished run deserves (see ExitCode).
ExitCode exit_code_for(const RunResult& r);

}  // namespace wsalloc::load
