// `--target-url [NAME=]ws://HOST:PORT/PATH`: a server wsbench does not start (another machine, a
// container, a process you started yourself). wsload measures it from the client side only; every
// server-side figure (CPU, RSS, allocations) is null with the reason kNotStartedReason, never 0.
//
// NAME defaults to HOST:PORT. The PATH is its echo path; it has no broadcast path, takes no server
// flags and no raw TCP, so scenarios that need those are skipped with the reason.
#pragma once

#include <string_view>

#include "bench/targets.hpp"

namespace wsalloc::bench {

inline constexpr const char* kNotStartedReason = "not measured: not started by wsbench";

// Throws std::invalid_argument with the URL and what is wrong ("wss:// is not supported ...").
Target target_from_url(std::string_view spec);

}  // namespace wsalloc::bench
