#include "bench/gate/gate_confirm.hpp"

#include <algorithm>

namespace wsalloc::bench::gate {
namespace {

bool is_e2e(MetricKind k) noexcept { return k == MetricKind::E2eAllocations || k == MetricKind::E2eBytes; }

}  // namespace

std::set<std::string> variants_with_e2e_rise(const std::vector<MetricRow>& rows) {
  std::set<std::string> out;
  for (const MetricRow& r : rows) {
    if (!is_e2e(r.kind) || r.verdict != Verdict::Regression) continue;
    // Keys are kind/subject/workload.
    const size_t a = r.key.find('/'), b = r.key.find('/', a + 1);
    if (a != std::string::npos) out.insert(r.key.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1));
  }
  return out;
}

std::vector<std::string> keep_lower_e2e(GateDoc& current, const GateDoc& again) {
  std::vector<std::string> lowered;
  for (const auto& [key, m] : again.metrics) {
    if (!is_e2e(m.kind)) continue;
    auto it = current.metrics.find(key);
    if (it == current.metrics.end()) {
      current.metrics.emplace(key, m);
    } else if (m.value < it->second.value) {
      it->second.value = m.value;
      lowered.push_back(key);
    }
  }
  return lowered;
}

}  // namespace wsalloc::bench::gate
