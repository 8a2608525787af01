// Hand-made targets and timed records for the tests of comparisons and precision blocks.
#pragma once

#include <string>

#include "bench/run_record.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench::testing {

inline Target make_target(const std::string& name, TargetKind kind) {
  Target t;
  t.name = name;
  t.kind = kind;
  return t;
}

// A measured time-pass record of `target` in block `block` with its server CPU per message.
inline RunRecord timed_cpu(const std::string& scenario, const std::string& target, uint32_t block, double cpu_us) {
  RunRecord r;
  r.scenario = scenario;
  r.case_name = "default";
  r.target = target;
  r.repetition = block;
  r.status = RunStatus::Ok;
  r.metrics.set("server_cpu_us_per_msg", cpu_us);
  return r;
}

}  // namespace wsalloc::bench::testing
