#include "bench/disturbance.hpp"

#include <fmt/core.h>

#include "bench/json_optional.hpp"
namespace wsalloc::bench {
nlohmann::json Disturbance::to_json() const {
  return {{"server_wait_share", optional_json(server_wait_share)},
          {"steal_server_core", optional_json(steal_server_core)},
          {"steal_load_core", optional_json(steal_load_core)},
          {"probe_before_ms", optional_json(probe_before_ms)},
          {"probe_after_ms", optional_json(probe_after_ms)},
          {"core_slowdown", optional_json(core_slowdown)},
          {"core_slowdown_against", slowdown_against_bracket ? "the malloc runs around it" : "the median of this run"}};
}

std::optional<std::string> disturbed_because(const Disturbance& d, const DisturbanceLimits& limits) {
  if (d.server_wait_share && *d.server_wait_share > limits.max_server_wait_share) {
    return fmt::format("the server waited {:.1f} % of the window for its core (limit {:.0f} %): another process had it",
                       100 * *d.server_wait_share, 100 * limits.max_server_wait_share);
  }
  for (const auto& [steal, core] : {std::pair{d.steal_server_core, "server's"}, std::pair{d.steal_load_core, "load generator's"}}) {
    if (steal && *steal > limits.max_steal) {
      return fmt::format("the hypervisor stole {:.1f} % of the {} core (limit {:.0f} %)", 100 * *steal, core, 100 * limits.max_steal);
    }
  }
  if (d.core_slowdown && *d.core_slowdown > limits.max_slowdown) {
    if (d.slowdown_against_bracket) {
      return fmt::format("the server's core ran {:.0f} % slower around the window than around the malloc runs before and "
                         "after it (a fixed probe; limit {:.0f} %)",
                         100 * (*d.core_slowdown - 1), 100 * (limits.max_slowdown - 1));
    }
    return fmt::format("the server's core ran {:.0f} % slower than usual around the window (a fixed probe, against its "
                       "median in this run; limit {:.0f} %)",
                       100 * (*d.core_slowdown - 1), 100 * (limits.max_slowdown - 1));
  }
  return std::nullopt;
}

}  // namespace wsalloc::bench
