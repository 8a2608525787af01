// The gate's measurement document: one flat map of metrics, the same shape for a fresh
// measurement, for results/baseline.json and for the files the tests feed in (--from-results).
//
//   { "gate_version": 1,
//     "meta": { "build": {"compiler", "flags", "build_type"}, "cpu": {"model"}, ... },
//     "metrics": { "instructions/zerocopy/echo_32": { "kind": "instructions", "subject": "zerocopy",
//                                                    "value": 1234.5, "unit": "instructions/message" }, ... },
//     "ab": { ... } }      // optional: the A/B run of the server against the base commit (gate_ab_session.hpp)
//
// Keys are "<kind>/<subject>/<workload>"; subject is a variant name or "core". A value that was not
// measured is absent, never 0 (STYLE rule 9). Earlier documents also held "throughput_ratio/<variant>"
// metrics (msgs/s ratios stored in the baseline); the A/B run replaced them, and reading skips them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bench/gate/gate_ab_session.hpp"

namespace wsalloc::bench::gate {

inline constexpr int kGateDocVersion = 1;

enum class MetricKind : uint8_t {
  Allocations,      // in process (wsalloc-instr-allocs, AllocScope): exact
  Bytes,            // in process, bytes requested: exact
  E2eAllocations,   // wsalloc-server under the LD_PRELOAD counter, marginal per message
  E2eBytes,
  Instructions,     // callgrind, fixed work: exact
  AbCpuPerMessage,  // table rows only: server CPU per message, candidate / base, paired (never stored)
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
  std::optional<AbSession> ab;  // absent: not run (--no-ab, --update-baseline) or an older document
};

std::string metric_key(MetricKind k, std::string_view subject, std::string_view workload = {});

nlohmann::json to_json(const GateDoc& doc);
// Throws std::runtime_error naming the offending key or field (and the file when given).
GateDoc gate_doc_from_json(const nlohmann::json& j, std::string_view origin);
GateDoc read_gate_doc(const std::string& path);
void write_gate_doc(const GateDoc& doc, const std::string& path);

}  // namespace wsalloc::bench::gate
