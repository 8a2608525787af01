#include "micro/workloads.hpp"

#include <algorithm>

namespace wsalloc::micro {

const std::vector<WorkloadSpec>& all_workloads() {
  static const std::vector<WorkloadSpec> all = [] {
    std::vector<WorkloadSpec> v;
    add_core_workloads(v);
    add_pipeline_workloads(v);
    return v;
  }();
  return all;
}

const WorkloadSpec* find_workload(std::string_view name) noexcept {
  for (const WorkloadSpec& s : all_workloads()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<std::vector<const WorkloadSpec*>> select_workloads(std::string_view csv, std::string& error) {
  std::vector<const WorkloadSpec*> out;
  if (csv.empty()) {
    for (const WorkloadSpec& s : all_workloads()) out.push_back(&s);
    return out;
  }
  while (!csv.empty()) {
    const size_t comma = csv.find(',');
    const std::string_view name = csv.substr(0, comma);
    csv = comma == std::string_view::npos ? std::string_view{} : csv.substr(comma + 1);
    const WorkloadSpec* spec = find_workload(name);
    if (spec == nullptr || std::find(out.begin(), out.end(), spec) != out.end()) {
      error = "workload '" + std::string(name) + (spec ? "' listed twice" : "' unknown") + "; known:";
      for (const WorkloadSpec& s : all_workloads()) error += " " + s.name;
      return std::nullopt;
    }
    out.push_back(spec);
  }
  return out;
}

}  // namespace wsalloc::micro
