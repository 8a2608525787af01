// The gate's measurement document: one flat map of metrics, the same shape for a fresh
// measurement, for results/baseline.json and for the files the tests feed in (--from-results).
//
//   { "gate_version": 1,
//     "meta": { "build": {"compiler", "flags", "build_type"}, "cpu": {"model"}, ... },
//     "metrics": { "instructions/zerocopy/echo_32": { "kind": "instructions", "subject": "zerocopy",
//                                                    "value": 1234.5, "unit": "instructions/message" }, ... },
//     "throughput_rerun": { "throughput_ratio/pool": 0.97 } }          // optional, see gate_compare.hpp
//
// Keys are "<kind>/<subject>/<workload>" (throughput: "throughput_ratio/<variant>"); subject is a
// variant name or "core". A value that was not measured is absent, never 0 (STYLE rule 9).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wsalloc::bench::gate {

inline constexpr int kGateDocVersion = 1;

enum class MetricKind : uint8_t {
  Allocations,      // in process (wsalloc-instr-allocs, AllocScope): exact
  Bytes,            // in process, bytes requested: exact
  E2eAllocations,   // wsalloc-server under the LD_PRELOAD counter, marginal per message
  E2eBytes,
  Instructions,     // callgrind, fixed work: exact
  ThroughputRatio,  // msgs/s of a variant / msgs/s of malloc, same job, interleaved: noisy
};
std::string_view to_string(MetricKind k) noexcept;
std::optional<MetricKind> metric_kind_from(std::string_view s) noexcept;

struct Metric {
  MetricKind kind = MetricKind::Instructions;
  std::string subject;  // variant or "core"
  double value = 0;
  std::string unit;
};

struct GateDoc {
  nlohmann::json meta = nlohmann::json::object();
  std::map<std::string, Metric> metrics;
  std::map<std::string, double> throughput_rerun;  // key -> ratio of the confirming rerun
};

std::string metric_key(MetricKind k, std::string_view subject, std::string_view workload = {});

nlohmann::json to_json(const GateDoc& doc);
// Throws std::runtime_error naming the offending key or field (and the file when given).
GateDoc gate_doc_from_json(const nlohmann::json& j, std::string_view origin);
GateDoc read_gate_doc(const std::string& path);
void write_gate_doc(const GateDoc& doc, const std::string& path);

}  // namespace wsalloc::bench::gate
