// Was a run's window disturbed by something that is not the target? (issue 14, item 1)
//
// A paired block cancels what the machine does to all of its runs alike; it cannot cancel a burst
// that hits one run of the block: another process taking the server's core for half a second, the
// hypervisor stealing it. Such a run is not a measurement of the target, so the bench measures it
// again instead of averaging it in (the record is kept, status "disturbed", with the reason).
//
// Two signs, each read over the run's measured window:
//   server_wait_share  the share of the window the server's threads were runnable but waiting
//                      for a CPU (schedstat's second field): its pinned core was taken by another
//                      process. An undisturbed run here waits well under 1 %.
//   steal              the share of each pinned core's time the hypervisor gave to another guest
//                      (/proc/stat): the guest's clock runs on while its work does not.
//   core_slowdown      a fixed probe on the server's core (speed_probe.hpp) around the window,
//                      against its median over the bench run: the core itself ran slow (a phase
//                      of the host) with neither of the signs above to show for it. In a precision
//                      round, against the probes of the runs around it: a phase that slows the
//                      whole block is what the round's pairing cancels.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace wsalloc::bench {

struct Disturbance {
  std::optional<double> server_wait_share;  // nullopt when schedstat could not be read
  std::optional<double> steal_server_core;  // nullopt when the server is not pinned or /proc/stat lacks the CPU
  std::optional<double> steal_load_core;
  // speed_probe.hpp: the probe on the server's core just before and after the load, and how much
  // slower the slower of the two was than the bench run's median (set by the run's driver).
  std::optional<double> probe_before_ms, probe_after_ms;
  std::optional<double> core_slowdown;
  // What core_slowdown is against: the probe's median over the bench run, or (a precision round's
  // variant run, precision_blocks.hpp) the probes of the malloc runs just around it.
  bool slowdown_against_bracket = false;

  nlohmann::json to_json() const;
};

struct DisturbanceLimits {
  double max_server_wait_share = 0.05;
  double max_steal = 0.05;
  double max_slowdown = 1.20;  // the probe 20 % slower than usual
};

// The reason the window counts as disturbed ("the server waited 12.0 % of the window for its
// core (limit 5 %)"), or nullopt when it does not (an unreadable sign does not disturb).
std::optional<std::string> disturbed_because(const Disturbance& d, const DisturbanceLimits& limits = {});

// Whether the machine is busy rather than briefly disturbed: of the last kWindow timed runs (first
// attempts), at least half were disturbed. A burst is worth measuring again; sustained crowding is
// not (the next attempt would be disturbed alike), and pairing inside a block cancels it.
class RecentDisturbance {
 public:
  static constexpr size_t kWindow = 6;
  void note(bool disturbed) {
    seen_[next_++ % kWindow] = disturbed;
    size_ = std::min(size_ + 1, kWindow);
  }
  size_t size() const noexcept { return size_; }
  size_t disturbed() const noexcept {
    size_t n = 0;
    for (size_t i = 0; i < size_; ++i) n += seen_[i] ? 1 : 0;
    return n;
  }
  bool busy() const noexcept { return size_ >= kWindow / 2 && 2 * disturbed() >= kWindow; }

 private:
  std::array<bool, kWindow> seen_{};
  size_t next_ = 0;
  size_t size_ = 0;
};

}  // namespace wsalloc::bench
