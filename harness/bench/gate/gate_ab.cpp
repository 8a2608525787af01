#include "bench/gate/gate_ab.hpp"

#include <chrono>
#include <set>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/aggregate.hpp"
#include "bench/compare/block_schedule.hpp"
#include "bench/cpu_steal.hpp"
#include "bench/gate/gate_ab_rows.hpp"
#include "bench/gate/gate_ab_side.hpp"

namespace wsalloc::bench::gate {
namespace {

using namespace std::chrono_literals;
using compare::PairOrder;

constexpr uint32_t kMaxAttempts = 3;  // a pair disturbed by steal is measured again, at most this often
// Measured windows per side, the two sides' alternating ABBA ABBA: windows a few tens of
// milliseconds apart. The machine here drifts between states in which every window costs ~1.5x
// more (both builds alike), for seconds at a time; runs measured one after the other (a fresh
// server each, ~0.5 s apart) were often split by such a change, and a 25 % slowdown came out
// anywhere from x0.75 to x1.6 per block (tests/gate/README.md).
constexpr int kMeasuredWindows = 4;

bool disturbed(const AbRun& r, double max_steal) { return r.steal_server > max_steal || r.steal_load > max_steal; }

// Base and candidate side by side, their windows interleaved; `order` says whose window is first.
// The block's ratio is the median over adjacent window pairs: a change of state between the two
// windows of one pair spoils that pair, not the block. Again while steal disturbed either side.
void measure_pair(const AbOptions& o, AbSession& s, const std::string& variant, PairOrder order, uint32_t block) {
  const double max_steal = o.settings.max_steal_pct / 100;
  for (uint32_t attempt = 0;; ++attempt) {
    const bool base_first = order == PairOrder::ReferenceFirst;
    const auto ticks0 = read_proc_stat();
    AbSide first(o, {variant, base_first, block, attempt});
    AbSide second(o, {variant, !base_first, block, attempt});
    AbSide& base = base_first ? first : second;
    std::vector<double> ratios;  // candidate / base, one per adjacent pair of windows
    for (int w = 0; w < kMeasuredWindows; ++w) {
      AbSide& a = w % 2 == 0 ? first : second;
      AbSide& b = w % 2 == 0 ? second : first;
      const double a_ns = a.measure_window(), b_ns = b.measure_window();
      ratios.push_back(&a == &base ? b_ns / a_ns : a_ns / b_ns);
    }
    // Over the whole pair, warm-ups included: /proc/stat counts in 10-ms ticks, too coarse for a window.
    const auto ticks1 = read_proc_stat();
    for (AbSide* side : {&first, &second}) {
      side->run().steal_server = steal_fraction(ticks0, ticks1, kAbServerCpu).value_or(0);
      side->run().steal_load = steal_fraction(ticks0, ticks1, kAbLoadCpu).value_or(0);
    }
    const bool again = (disturbed(first.run(), max_steal) || disturbed(second.run(), max_steal)) && attempt + 1 < kMaxAttempts;
    s.runs.push_back(first.run());
    s.runs.push_back(second.run());
    if (again) {
      ++s.redone_pairs;
      continue;
    }
    // The block keeps the base's cost and the candidate's at the median ratio to it.
    const double base_ns = base.run().ns_per_msg();
    s.blocks[variant].push_back({base_ns * spread_of(ratios)->median, base_ns});
    return;
  }
}

// `count` more blocks of `variants`, each variant's AB/BA orders balanced over them.
void run_blocks(const AbOptions& o, AbSession& s, const std::vector<std::string>& variants, size_t count,
                compare::SplitMix64& rng, const std::chrono::steady_clock::time_point& t0) {
  std::map<std::string, std::vector<PairOrder>> orders;
  for (const std::string& v : variants) orders[v] = compare::balanced_pair_orders(count, rng);
  for (size_t b = 0; b < count; ++b) {
    for (size_t i : compare::random_order(variants.size(), rng)) {
      const std::string& v = variants[i];
      measure_pair(o, s, v, orders[v][b], uint32_t(s.blocks[v].size()));
    }
    fmt::print(stderr, "gate: A/B block done ({}) at {:.1f} s\n", fmt::join(variants, ", "),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
}

std::vector<std::string> undecided(const AbSession& s, const AbSettings& settings) {
  std::vector<std::string> out;
  for (const MetricRow& r : ab_rows(s, settings)) {
    if (r.verdict == Verdict::Inconclusive) out.push_back(r.key.substr(r.key.find('/') + 1));
  }
  return out;
}

}  // namespace

std::vector<std::string> ab_wsload_args(const AbOptions& o, uint16_t port) {
  const AbSettings& a = o.settings;
  return {o.wsload.string(), "--port", std::to_string(port), "--hold", "--json", "-q",
          "-c", std::to_string(a.connections), "-k", std::to_string(a.pipeline()), "-s", std::to_string(a.payload),
          "-m", std::to_string(a.messages), "--drain", "2"};
}

AbSession run_ab(const AbOptions& o, AbSession s) {
  const auto t0 = std::chrono::steady_clock::now();
  compare::SplitMix64 rng(o.seed);
  s.seed = o.seed;
  s.workload = {{"wsload", ab_wsload_args(o, 0)},
                {"windows", fmt::format("per side: 1 warm-up, then {} measured, the sides' alternating ABBA; block ratio: median over window pairs", kMeasuredWindows)},
                {"server_cpu", o.pin ? kAbServerCpu : -1},
                {"load_cpu", o.pin ? kAbLoadCpu : -1}, {"metric", "server CPU ns per message (schedstat)"}};
  try {
    run_blocks(o, s, o.variants, size_t(o.settings.min_blocks), rng, t0);
    s.status = AbStatus::Done;
    for (auto more = undecided(s, o.settings); !more.empty(); more = undecided(s, o.settings)) {
      const size_t have = s.blocks[more.front()].size();
      if (have >= size_t(o.settings.max_blocks)) break;
      run_blocks(o, s, more, std::min<size_t>(2, size_t(o.settings.max_blocks) - have), rng, t0);
    }
  } catch (const BaseFailed& e) {
    s.status = AbStatus::NotDone;
    s.reason = e.what();
    s.blocks.clear();
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

}  // namespace wsalloc::bench::gate
