// The report's view of results.json's "instructions" section (`wsbench run`'s instructions step,
// harness/bench/instr_step.hpp): exact callgrind instruction counts per message of the variants'
// pipeline workloads, one row per workload, one cell per variant with its ratio to malloc.
//
//   null (the file has no section: written before the step existed) or
//   {"status": "measured" | "skipped" | "failed", "reason", "valgrind", "seconds",
//    "variants": ["malloc", "arena", ...]                      (malloc first, then as the file has them),
//    "rows": [{"workload": "echo_32", "per": "message",
//              "cells": {"malloc": {"instructions", "allocations", "bytes", "ratio_malloc"}, ...}}]}
// Values are the file's, never recomputed, except ratio_malloc (instructions ÷ the malloc variant's
// of the same workload; null without a malloc count). Workloads not of a variant (subject "core")
// are not shown.
#pragma once

#include <nlohmann/json.hpp>

namespace wsalloc::report {

nlohmann::json instructions_view(const nlohmann::json& results);

}  // namespace wsalloc::report
