#include "bench/gate/gate_thresholds.hpp"

#include <stdexcept>

#include <fmt/core.h>
#include <toml++/toml.h>

#ifndef WSALLOC_SOURCE_DIR
#define WSALLOC_SOURCE_DIR "."
#endif

namespace wsalloc::bench::gate {
namespace {

double non_negative(const toml::table& t, const std::string& path, std::string_view section, std::string_view key,
                    double fallback) {
  const toml::node* n = t.at_path(fmt::format("{}.{}", section, key)).node();
  if (!n) return fallback;
  std::optional<double> v = n->value<double>();
  if (!v) throw std::runtime_error(fmt::format("{}: [{}] {}: expected a number", path, section, key));
  if (*v < 0) throw std::runtime_error(fmt::format("{}: [{}] {} = {}: must be >= 0", path, section, key, *v));
  return *v;
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
  for (auto& [kind, limit] : th.max_increase) limit = non_negative(t, path, to_string(kind), "max_increase", limit);
  th.instructions_max_increase_pct =
      non_negative(t, path, "instructions", "max_increase_pct", th.instructions_max_increase_pct);
  th.throughput_max_loss_pct = non_negative(t, path, "throughput_ratio", "max_loss_pct", th.throughput_max_loss_pct);
  if (th.throughput_max_loss_pct >= 100) {
    throw std::runtime_error(fmt::format("{}: [throughput_ratio] max_loss_pct = {}: must be < 100", path,
                                         th.throughput_max_loss_pct));
  }
  th.throughput_confirm_by_rerun =
      t.at_path("throughput_ratio.confirm_by_rerun").value_or(th.throughput_confirm_by_rerun);
  th.throughput_rounds = int(non_negative(t, path, "throughput_ratio", "rounds", th.throughput_rounds));
  if (th.throughput_rounds < 1 || th.throughput_rounds > 20) {
    throw std::runtime_error(fmt::format("{}: [throughput_ratio] rounds = {}: must be 1..20", path, th.throughput_rounds));
  }
  th.throughput_window_s = non_negative(t, path, "throughput_ratio", "window_s", th.throughput_window_s);
  th.throughput_warmup_s = non_negative(t, path, "throughput_ratio", "warmup_s", th.throughput_warmup_s);
  if (th.throughput_window_s <= 0) throw std::runtime_error(fmt::format("{}: [throughput_ratio] window_s must be > 0", path));
  return th;
}

}  // namespace wsalloc::bench::gate
