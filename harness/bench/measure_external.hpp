// measure_external(): one measurement of a server wsbench did not start (--target-url).
//
// wsload runs against the URL exactly as it would against a started target (same arguments, same
// pinning of wsload, same bound), and its JSON gives the client-side figures: msgs/s, MB/s,
// latency percentiles, wsload's own CPU, errors. Every server-side figure (metrics.hpp
// measured_on_server: CPU, RSS, allocations) is null with the reason kNotStartedReason — never 0,
// which would read as "free". There is no counting pass: nothing to preload into.
#pragma once

#include "bench/measure.hpp"

namespace wsalloc::bench {

RunRecord measure_external(const MeasureEnv& env, const MeasureRequest& req);

}  // namespace wsalloc::bench
