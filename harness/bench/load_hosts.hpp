// Load hosts (wsbench run --load-hosts h1,h2,...): where the load of every run comes from when it
// is split across machines, and which share each one gets. The shares go to the hosts through an
// existing engine (locust_engine.hpp); this file only decides them.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "bench/scenario.hpp"

namespace wsalloc::bench {

struct LoadHostsConfig {
  std::vector<std::string> names;    // as each host's worker calls itself (locust ... --wsalloc-host NAME)
  std::string master_bind = "0.0.0.0";  // where the Locust master listens for the workers
  uint16_t master_port = 5557;       // Locust's default; the workers' --master-port
  double wait_s = 60;                // how long to wait for every named host's worker to connect
  bool enabled() const noexcept { return !names.empty(); }
};

// "h1,h2,h3": at least one name, each non-empty, unique, of [A-Za-z0-9._-] (they name log files and
// travel in JSON). Throws std::invalid_argument quoting the offending name.
std::vector<std::string> parse_load_host_names(const std::string& text);
// "[ADDRESS:]PORT" into `config`. Throws std::invalid_argument quoting the text.
void parse_master_address(const std::string& text, LoadHostsConfig& config);

struct LoadShare {
  std::string host;
  uint32_t index = 1;  // 1-based place among the shares (wsload --broadcast-shard index/count)
  uint32_t count = 1;
  LoadSpec load;       // this host's part of the case's load
};

// The shares of `load` over `hosts` (every host gets one):
//   connections (broadcast: receivers): as evenly as possible, the first hosts taking one more when
//     they do not divide;
//   open-loop rate: echo-like kinds in proportion to the host's connections, so every connection keeps
//     the rate it has in a single-host run; broadcast evenly over the hosts' publishers (one each),
//     so the group gets the same messages per second, hence the same deliveries;
//   everything else (payload, pipeline per connection, threads, window) unchanged.
// Returns the reason instead when a host would get no connection.
std::variant<std::vector<LoadShare>, std::string> split_load(const LoadSpec& load, ScenarioKind kind,
                                                             const std::vector<std::string>& hosts);

}  // namespace wsalloc::bench
