// JSON form of a CounterSnapshot, as printed by `wsalloc-malloccount-read` and stored by the harness.
//
//   {"allocations":1955,"attaches":1,"bytes_allocated":3649478,"creator_pid":10617,"failed":0,
//    "families":{"aligned_alloc":{"bytes":0,"calls":0},"calloc":{"bytes":457982,"calls":95},
//                "free":{"bytes":0,"calls":1901},"malloc":{"bytes":2286422,"calls":1591}, ...,
//                "valloc":{"bytes":0,"calls":0}},
//    "forks":0,"frees":1921,"generation":1795705905063734994,"shard_claims":1,"version":1}
//
// Keys come out sorted (nlohmann::json); read them by name. Every family appears even when zero:
// 0 here was measured, never a placeholder.
#pragma once

#include <nlohmann/json.hpp>

#include "malloccount/counters.hpp"

namespace wsalloc::malloccount {

// nlohmann ADL hooks: `nlohmann::json j = snapshot; auto s = j.get<CounterSnapshot>();`
// from_json throws nlohmann::json::exception when a field is missing or has the wrong type.
void to_json(nlohmann::json& j, const CounterSnapshot& s);
void from_json(const nlohmann::json& j, CounterSnapshot& s);

}  // namespace wsalloc::malloccount
