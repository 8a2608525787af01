#include "bench/run_plan.hpp"

#include <algorithm>

#include "bench/bench_comparisons.hpp"
#include "bench/load_hosts.hpp"

namespace wsalloc::bench {
namespace {

constexpr uint32_t kQuickRepetitions = 3;
constexpr uint32_t kFullRepetitions = 5;

// --load-hosts: a case whose connections cannot be split over the hosts (fewer than hosts).
std::optional<std::string> unsplittable(const LoadSpec& load, ScenarioKind kind, const LoadHostsConfig& hosts) {
  if (!hosts.enabled()) return std::nullopt;
  auto split = split_load(load, kind, hosts.names);
  if (const auto* why = std::get_if<std::string>(&split)) return *why;
  return std::nullopt;
}

// latency-at-rate: the id of the case whose capacity sets the rates. It comes from another
// scenario of this run (capacity_from) when that has the same load shape, else from its own.
std::string capacity_source(const Scenario& s, const std::vector<PlannedCase>& earlier_cases, const RunOptions& opts) {
  std::string source = s.name + "/capacity";
  if (s.capacity_from.empty()) return source;
  for (const PlannedCase& earlier : earlier_cases) {
    if (earlier.scenario->name == s.capacity_from && earlier.kase == &earlier.scenario->cases.front() &&
        same_load_shape(earlier.load, resolve_load(s.cases.front(), opts))) {
      source = earlier.scenario->name + (earlier.kase->name == "default" ? "" : "/" + earlier.kase->name);
    }
  }
  return source;
}

// Sorts every target into runnable or refused, adding the runnable ones' runs to the plan's size.
void place_targets(PlannedCase& pc, const std::vector<Target>& targets, const RunOptions& opts, const std::string& counter_lib,
                   const CaseCheck& check, RunPlan& plan) {
  const Scenario& s = *pc.scenario;
  for (const Target& t : targets) {
    if (auto r = check(s, *pc.kase, t)) {
      pc.refused.emplace_back(&t, *r);
    } else if (auto why = unsplittable(pc.load, s.kind, opts.load_hosts)) {
      pc.refused.emplace_back(&t, Refusal{RunStatus::Skipped, *why});
    } else {
      pc.runnable.push_back(&t);
      plan.total_runs += pc.repetitions;
      plan.planned_load_s += pc.repetitions * (pc.load.warmup_s + pc.load.duration_s);
      if (counting_applies(pc, t, opts, counter_lib)) {
        // Two runs (differential counting) unless wsload marks its window; idle needs one.
        const size_t n = s.kind == ScenarioKind::Idle ? 1 : 2;
        plan.total_runs += n;
        plan.planned_load_s += n * (pc.load.warmup_s + count_window_s(pc.load, t, opts.count_duration_s));
      }
    }
  }
  if (pc.runnable.size() > 1 && !repeated_reference(pc.runnable).empty()) {
    plan.total_runs += pc.repetitions;  // A′
    plan.planned_load_s += pc.repetitions * (pc.load.warmup_s + pc.load.duration_s);
  }
}

}  // namespace

LoadSpec resolve_load(const Case& c, const RunOptions& o) {
  LoadSpec l = o.quick ? c.quick_load : c.load;
  if (o.duration_s) l.duration_s = *o.duration_s;
  if (o.warmup_s) l.warmup_s = *o.warmup_s;
  if (o.connections) l.connections = *o.connections;
  return l;
}

double count_window_s(const LoadSpec& case_load, const Target& t, double count_duration_s) {
  return t.kind == TargetKind::Variant ? count_duration_s : std::min(case_load.duration_s, count_duration_s);
}

bool counting_applies(const PlannedCase& pc, const Target& t, const RunOptions& o, const std::string& counter_lib) {
  return o.count_pass && !counter_lib.empty() && t.counter != CounterCoverage::Incompatible &&
         t.counter != CounterCoverage::Invisible && t.counter != CounterCoverage::NotStarted &&
         // Rate cases of latency-at-rate count what their capacity case counts: same messages.
         !(pc.scenario->kind == ScenarioKind::LatencyAtRate && pc.kase->name != "capacity");
}

RunPlan plan_run(const std::vector<const Scenario*>& selected, const std::vector<Target>& targets, const RunOptions& opts,
                 const std::string& counter_lib, const CaseCheck& check) {
  RunPlan plan;
  for (const Scenario* s : selected) {
    for (const Case& c : s->cases) {
      if (opts.quick && !c.quick) continue;
      PlannedCase pc{s, &c, resolve_load(c, opts), 0, {}, {}, {}};
      if (s->kind == ScenarioKind::LatencyAtRate) {
        const std::string source = capacity_source(*s, plan.cases, opts);
        if (c.name == "capacity" && source != s->name + "/capacity") continue;  // measured elsewhere
        pc.capacity_source = source;
      }
      pc.repetitions = opts.repetitions.value_or(opts.quick ? s->quick.repetitions.value_or(kQuickRepetitions) : kFullRepetitions);
      place_targets(pc, targets, opts, counter_lib, check, plan);
      plan.cases.push_back(std::move(pc));
    }
  }
  return plan;
}

}  // namespace wsalloc::bench
