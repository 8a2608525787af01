// The metric catalogue: every number wsbench records, with its unit and which direction is better.
// Records and summaries carry {value, unit, higher_is_better} per metric, so a reader (the report,
// the gate, a person with jq) never has to guess. A value that was not measured is null, never 0.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsalloc::bench {

struct MetricInfo {
  std::string_view name;
  std::string_view unit;
  std::optional<bool> higher_is_better;  // nullopt: context, not a score (e.g. CPU utilisation)
  std::string_view description;
};

const std::vector<MetricInfo>& metric_catalogue();
const MetricInfo* find_metric(std::string_view name);

// Metrics that only the server process can give (its CPU time, RSS, allocations): null, with a
// reason, for a server wsbench did not start (--target-url).
bool measured_on_server(std::string_view metric);

// A set of metric values for one run or one aggregate; missing = not measured.
class MetricValues {
 public:
  void set(std::string_view name, std::optional<double> v);  // throws std::out_of_range for an unknown name
  std::optional<double> get(std::string_view name) const;
  bool has(std::string_view name) const;
  // Null on purpose, with the reason a reader is shown ("not measured: not started by wsbench").
  void set_not_measured(std::string_view name, std::string reason);
  const std::string* null_reason(std::string_view name) const;  // nullptr = none given
  // {"msgs_per_sec": {"value": 1.5e5, "unit": "msg/s", "higher_is_better": true}, ...} in catalogue
  // order, every catalogue metric present (null when not measured; "null_reason" when one is set).
  nlohmann::json to_json() const;
  static MetricValues from_json(const nlohmann::json& j);

 private:
  std::vector<std::pair<std::string, std::optional<double>>> values_;
  std::vector<std::pair<std::string, std::string>> null_reasons_;
};

// The catalogue as JSON: {"name": {"unit", "higher_is_better", "description"}}.
nlohmann::json metric_catalogue_json();

}  // namespace wsalloc::bench
