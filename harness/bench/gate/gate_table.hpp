// The gate's report: every compared metric as a table (metric, baseline, current, delta,
// threshold, verdict), failing rows first (compare() already sorted them), in the terminal and as
// Markdown for a CI summary.
#pragma once

#include <string>
#include <vector>

#include "bench/gate/gate_compare.hpp"

namespace wsalloc::bench::gate {

std::string terminal_table(const std::vector<MetricRow>& rows);
// `extra`: Markdown inserted after the warnings (the A/B paragraph, gate_ab_rows.hpp).
std::string markdown_report(const std::vector<MetricRow>& rows, const std::vector<std::string>& warnings,
                            const std::string& summary, const std::string& extra = {});
// One line: "gate: FAIL - 2 regressions (instructions/pool/echo_32, ...), 0 missing, 38 ok".
std::string summary_line(const std::vector<MetricRow>& rows);

}  // namespace wsalloc::bench::gate
