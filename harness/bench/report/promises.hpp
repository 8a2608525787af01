// The seed's promises, measured: one row per promise the memory strategy was started on, with what
// this run measured, its interval where the run has one, and a verdict (issue 14, item 6).
//
//   promise                               measured from (this results.json only)
//   before: 20-30 allocations per message  the malloc variant's allocations_per_msg, echo cases
//   after: 0 allocations per message       the other variants' allocations_per_msg, echo cases
//   throughput 2-5x                        1 / (server CPU per message vs malloc): the server's
//                                          capacity; msgs/s is bounded by the load generator here
//   tail latency -50-80 %                  p99 vs malloc in the open-loop (latency-at-rate) cases
//   memory -30-50 %                        RSS per idle connection vs malloc (idle cases)
//   stable memory under sustained load     not measured by a run of seconds (the soak does)
//   competitive with websocat              server CPU per message, zerocopy vs websocat
//
// Verdicts: "met" when the interval lies inside the promise's side of its bound (for 2-5x: the
// interval's low end at or above 2x), "not met" when it lies wholly on the other side, otherwise
// "inconclusive"; "not measurable here" with the reason when the run has no such figure.
// Intervals are the comparisons' (results.json "comparisons": geometric mean of per-block ratios,
// bootstrap); of several variants and cases the row shows the best, and says which.
#pragma once

#include <nlohmann/json.hpp>

namespace wsalloc::report {

// [{"promise","claim","measured","interval","verdict","why"}], in the order above.
nlohmann::json promises_view(const nlohmann::json& results);

}  // namespace wsalloc::report
