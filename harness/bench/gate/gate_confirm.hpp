// Confirming a rise of the end-to-end allocation counts before it fails the gate.
//
// The e2e counts (wsalloc-server under LD_PRELOAD, marginal per message between a short and a long
// run) are exact for what a message costs, but a server also allocates for reasons of time, not
// messages: on a loaded machine a run lasts longer and, once in a while, something grows (seen:
// arena, binary_32, +1 allocation of 32 KiB over 2000 messages = +0.0005 per message, once in 20
// runs at load 6-10). A per-message regression shows in every measurement; that does not. So the
// variants whose e2e rows fail are measured again on fresh servers (up to kE2eConfirmations times)
// and each e2e metric keeps its lowest value: the gate fails only when the rise is there every
// time. Thresholds stay at +0; instruction counts (callgrind, deterministic) are not re-measured.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bench/gate/gate_compare.hpp"
#include "bench/gate/gate_metrics.hpp"

namespace wsalloc::bench::gate {

inline constexpr int kE2eConfirmations = 2;

// The variants with a failing e2e_allocations or e2e_bytes row.
std::set<std::string> variants_with_e2e_rise(const std::vector<MetricRow>& rows);

// For every e2e metric in `again`: current keeps the lower of its value and again's. Returns the
// keys whose value went down (the rise was not confirmed there).
std::vector<std::string> keep_lower_e2e(GateDoc& current, const GateDoc& again);

}  // namespace wsalloc::bench::gate
