#include "bench/report/instructions_view.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace wsalloc::report {
namespace {

using nlohmann::json;

json number_or_null(const json& w, const char* key) {
  return w.contains(key) && w[key].is_number() ? w[key] : json(nullptr);
}

json string_or_null(const json& s, const char* key) {
  return s.contains(key) && s[key].is_string() ? s[key] : json(nullptr);
}

}  // namespace

json instructions_view(const json& results) {
  if (!results.is_object() || !results.contains("instructions") || !results["instructions"].is_object()) return nullptr;
  const json& s = results["instructions"];
  std::vector<std::string> variants, shapes;
  json rows = json::array();
  auto row_of = [&](const std::string& shape, const std::string& per) -> json& {
    for (json& r : rows) {
      if (r["workload"] == shape) return r;
    }
    rows.push_back({{"workload", shape}, {"per", per}, {"cells", json::object()}});
    return rows.back();
  };
  const json none = json::array();
  for (const json& w : s.contains("workloads") && s["workloads"].is_array() ? s["workloads"] : none) {
    const std::string subject = w.value("subject", ""), shape = w.value("workload", "");
    if (subject.empty() || subject == "core" || shape.empty()) continue;
    if (std::find(variants.begin(), variants.end(), subject) == variants.end()) variants.push_back(subject);
    row_of(shape, w.value("per", "message"))["cells"][subject] = {
        {"instructions", number_or_null(w, "instructions_per_iteration")},
        {"allocations", number_or_null(w, "allocations_per_iteration")},
        {"bytes", number_or_null(w, "bytes_allocated_per_iteration")},
        {"ratio_malloc", nullptr}};
  }
  for (json& r : rows) {
    const json& cells = r["cells"];
    const bool has_ref = cells.contains("malloc") && cells["malloc"]["instructions"].is_number() &&
                         cells["malloc"]["instructions"].get<double>() > 0;
    if (!has_ref) continue;
    const double ref = cells["malloc"]["instructions"].get<double>();
    for (auto& [name, c] : r["cells"].items()) {
      if (c["instructions"].is_number()) c["ratio_malloc"] = c["instructions"].get<double>() / ref;
    }
  }
  // malloc first: the reference column.
  std::stable_partition(variants.begin(), variants.end(), [](const std::string& v) { return v == "malloc"; });
  return {{"status", string_or_null(s, "status")},
          {"reason", string_or_null(s, "reason")},
          {"valgrind", string_or_null(s, "valgrind")},
          {"seconds", number_or_null(s, "seconds")},
          {"variants", variants},
          {"rows", rows}};
}

}  // namespace wsalloc::report
