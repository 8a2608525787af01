#include "bench/gate/gate_metrics.hpp"

#include <array>
#include <fstream>
#include <stdexcept>

#include <fmt/core.h>

namespace wsalloc::bench::gate {
namespace {

constexpr std::array<std::pair<MetricKind, std::string_view>, 6> kKindNames = {{
    {MetricKind::Allocations, "allocations"},
    {MetricKind::Bytes, "bytes"},
    {MetricKind::E2eAllocations, "e2e_allocations"},
    {MetricKind::E2eBytes, "e2e_bytes"},
    {MetricKind::Instructions, "instructions"},
    {MetricKind::AbCpuPerMessage, "ab_cpu_per_msg"},
}};

// Stored msgs/s ratios of documents written before the A/B run: skipped when read.
constexpr std::string_view kLegacyThroughputKind = "throughput_ratio";

}  // namespace

std::string_view to_string(MetricKind k) noexcept {
  for (auto [kind, name] : kKindNames)
    if (kind == k) return name;
  return "?";
}

std::optional<MetricKind> metric_kind_from(std::string_view s) noexcept {
  for (auto [kind, name] : kKindNames)
    if (name == s) return kind;
  return std::nullopt;
}

std::string metric_key(MetricKind k, std::string_view subject, std::string_view workload) {
  return workload.empty() ? fmt::format("{}/{}", to_string(k), subject)
                          : fmt::format("{}/{}/{}", to_string(k), subject, workload);
}

nlohmann::json to_json(const GateDoc& doc) {
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& [key, m] : doc.metrics) {
    metrics[key] = {{"kind", to_string(m.kind)}, {"subject", m.subject}, {"value", m.value}, {"unit", m.unit}};
  }
  nlohmann::ordered_json out = {{"gate_version", kGateDocVersion}, {"meta", doc.meta}, {"metrics", metrics}};
  if (doc.ab) out["ab"] = to_json(*doc.ab);
  return nlohmann::json::parse(out.dump());  // keeps the key order of std::map: sorted, diff-friendly
}

GateDoc gate_doc_from_json(const nlohmann::json& j, std::string_view origin) {
  GateDoc doc;
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_object()) {
    throw std::runtime_error(fmt::format("{}: not a gate document (no \"metrics\" object)", origin));
  }
  if (j.value("gate_version", 0) != kGateDocVersion) {
    throw std::runtime_error(fmt::format("{}: gate_version {} (this gate reads {})", origin,
                                         j.value("gate_version", 0), kGateDocVersion));
  }
  if (j.contains("meta")) doc.meta = j["meta"];
  for (const auto& [key, v] : j["metrics"].items()) {
    if (v.value("kind", "") == kLegacyThroughputKind) continue;
    auto kind = metric_kind_from(v.value("kind", ""));
    if (!kind) throw std::runtime_error(fmt::format("{}: metric {}: unknown kind {}", origin, key, v.value("kind", "")));
    if (!v.contains("value") || !v["value"].is_number()) {
      throw std::runtime_error(fmt::format("{}: metric {}: value missing or not a number", origin, key));
    }
    doc.metrics[key] = Metric{*kind, v.value("subject", ""), v["value"].get<double>(), v.value("unit", "")};
  }
  if (j.contains("ab")) doc.ab = ab_session_from_json(j["ab"], origin);
  return doc;
}

GateDoc read_gate_doc(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("open {} for reading: no such file or not readable", path));
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw std::runtime_error(fmt::format("{}: not valid JSON", path));
  return gate_doc_from_json(j, path);
}

void write_gate_doc(const GateDoc& doc, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error(fmt::format("open {} for writing failed", path));
  out << to_json(doc).dump(2) << "\n";
  if (!out) throw std::runtime_error(fmt::format("write {} failed", path));
}

}  // namespace wsalloc::bench::gate
