#include "bench/gate/gate_thresholds.hpp"

#include <stdexcept>

#include <fmt/core.h>
#include <toml++/toml.h>

#ifndef WSALLOC_SOURCE_DIR
#define WSALLOC_SOURCE_DIR "."
#endif

namespace wsalloc::bench::gate {
namespace {

// A number at `section.key` within [low, high], or `fallback` when absent.
double number(const toml::table& t, const std::string& path, std::string_view section, std::string_view key,
              double fallback, double low, double high) {
  const toml::node* n = t.at_path(fmt::format("{}.{}", section, key)).node();
  if (!n) return fallback;
  std::optional<double> v = n->value<double>();
  if (!v) throw std::runtime_error(fmt::format("{}: [{}] {}: expected a number", path, section, key));
  if (*v < low || *v > high) {
    throw std::runtime_error(fmt::format("{}: [{}] {} = {}: must be within {}..{}", path, section, key, *v, low, high));
  }
  return *v;
}

constexpr double kNoLimit = 1e300;

void load_ab(const toml::table& t, const std::string& path, AbSettings& ab) {
  ab.max_cpu_increase_pct = number(t, path, "ab", "max_cpu_increase_pct", ab.max_cpu_increase_pct, 0.1, 1000);
  ab.confidence = number(t, path, "ab", "confidence", ab.confidence, 0.5, 0.999);
  ab.delta_pct = number(t, path, "ab", "delta_pct", ab.delta_pct, 0.1, 50);
  ab.min_blocks = int(number(t, path, "ab", "min_blocks", ab.min_blocks, 2, 200));
  ab.max_blocks = int(number(t, path, "ab", "max_blocks", ab.max_blocks, 2, 200));
  if (ab.max_blocks < ab.min_blocks) {
    throw std::runtime_error(fmt::format("{}: [ab] max_blocks = {} < min_blocks = {}", path, ab.max_blocks, ab.min_blocks));
  }
  ab.messages = uint64_t(number(t, path, "ab", "messages", double(ab.messages), 1000, 1e9));
  ab.connections = int(number(t, path, "ab", "connections", ab.connections, 1, 10000));
  if (t.at_path("ab.pipeline").node()) {
    throw std::runtime_error(fmt::format("{}: [ab] pipeline: a window sends all its messages at once (pipeline = messages / "
                                         "connections); drop the key (harness/bench/gate/gate_ab.hpp says why)",
                                         path));
  }
  if (ab.pipeline() > 65536) {
    throw std::runtime_error(fmt::format("{}: [ab] messages = {} over connections = {}: more than 65536 in flight on a "
                                         "connection (wsload's limit); add connections",
                                         path, ab.messages, ab.connections));
  }
  ab.payload = int(number(t, path, "ab", "payload", ab.payload, 0, 16 << 20));
  ab.max_steal_pct = number(t, path, "ab", "max_steal_pct", ab.max_steal_pct, 0, 100);
}

}  // namespace

std::string default_thresholds_path() { return std::string(WSALLOC_SOURCE_DIR) + "/harness/bench/gate/thresholds.toml"; }

Thresholds load_thresholds(const std::string& path) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(fmt::format("{}:{}: {}", path, e.source().begin.line, e.description()));
  }
  Thresholds th;
  for (auto& [kind, limit] : th.max_increase) limit = number(t, path, to_string(kind), "max_increase", limit, 0, kNoLimit);
  th.instructions_max_increase_pct =
      number(t, path, "instructions", "max_increase_pct", th.instructions_max_increase_pct, 0, kNoLimit);
  if (t.contains("throughput_ratio")) {
    throw std::runtime_error(fmt::format("{}: [throughput_ratio]: stored throughput ratios were replaced by the A/B "
                                         "run; use the [ab] section (see harness/bench/README.md, \"The gate\")",
                                         path));
  }
  load_ab(t, path, th.ab);
  return th;
}

}  // namespace wsalloc::bench::gate
