// How fast the server's core runs right now: a fixed piece of work (cheap system calls, which are
// most of a server's CPU per message, and integer arithmetic) timed in thread CPU time on that
// core, just before and just after a run's load.
//
// Why: on this shared virtual machine the cost of the same work moves in phases of seconds (a
// neighbour on the host, frequency), by 5-10 % idle and by 40 % under load, with no steal and no
// run-queue wait to show for it. A run inside such a phase is disturbed as surely as one whose core
// was taken; comparing the probe with its median over the whole bench run tells them apart.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

namespace wsalloc::bench {

// Milliseconds of thread CPU time the probe took on `cpu` (the calling thread is moved there for
// the probe and back); nullopt when the thread cannot be moved there.
std::optional<double> probe_core_ms(int cpu);

// The probes seen so far in a bench run, and how much slower one is than their median.
class ProbeBaseline {
 public:
  static constexpr size_t kMinSamples = 6;  // fewer: no judgement yet
  void add(double ms) { samples_.push_back(ms); }
  // ms / median, or nullopt before kMinSamples.
  std::optional<double> slowdown(double ms) const;

 private:
  std::vector<double> samples_;
};

}  // namespace wsalloc::bench
