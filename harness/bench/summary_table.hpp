// The table printed at the end of `wsbench run`: one block per (scenario, case), one line per
// target, medians with the min-max spread of the headline number. "—" = not measured (never 0).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/aggregate.hpp"

namespace wsalloc::bench {

std::string render_summary(const std::vector<SummaryRow>& rows);

// 1234567 -> "1.23M", 45678 -> "45.7k", 12.345 -> "12.3", 0.0123 -> "0.0123"; nullopt -> "—".
std::string compact_number(std::optional<double> v);

}  // namespace wsalloc::bench
