// Precision rounds (RunOptions::max_blocks): after a case's repetitions, blocks of the malloc
// reference and the other variants measured on held servers, to settle the variants' server CPU
// per message against malloc (bench_comparisons.hpp). bench_run.cpp measures them; this decides
// them.
//
// Why held servers and short runs: on a shared machine the same work costs 5-40 % more or less in
// phases lasting seconds. A block of fresh servers with 1-s runs spans ten seconds or more, so a
// phase often hits only part of it and pairing cannot cancel it. A round here starts no process:
// every server, and its load (held_load.hpp: one wsload --hold, connected once), was started
// before the first round, and each run is a kRoundWindowS window after a short warm-up on the
// open connections (about 0.21 s in all).
//
// A round is a chain: malloc, a variant, malloc, the next variant, ..., malloc (the variants in a
// fresh random order), and the rounds of a case are one chain: each round opens with the last
// one's closing malloc run (round_order). Each variant's block is the three runs around it, which span under a second:
// the variant against the geometric mean of the malloc runs just before and after it (a drift
// cancels). Those two are the block's own noise floor: when they differ by more than
// kBracketLimit the machine changed speed inside the block, and the variant's run is kept as
// "disturbed" with the reason, not averaged in; so is a variant's run disturbed by the rules of
// disturbance.hpp (malloc's runs answer to the bracket alone). A phase change spoils the blocks it
// falls in, not the whole round.
//
// A case takes rounds when it has a malloc reference and another variant and is not idle. Each
// round holds malloc and every variant whose ratio to it is still wider than ±target and can get
// there within max_blocks rounds (blocks_for_precision, judged after kRoundsBeforeGivingUp); one
// that cannot is left as it is, said once. The budget: each case may spend what is left of it
// divided by the cases still to come, so time a precise case does not need passes to the next; a
// case goes past its share (up to kMinRoundsOverrun x) only while a variant has fewer than
// kMinRounds blocks.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_run.hpp"
#include "bench/disturbance.hpp"
#include "bench/run_plan.hpp"
#include "bench/run_record.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

inline constexpr double kRoundWindowS = 0.15;     // each run's window (at most the case's) ...
inline constexpr double kRoundMinSends = 15;      // ... and, open loop, long enough for this many sends
inline constexpr double kRoundWarmupS = 0.05;     // each run's warm-up after the first round's
inline constexpr double kBracketLimit = 0.07;     // malloc after / before a variant beyond 1 ± this: not a block
inline constexpr size_t kMinRounds = 3;             // a variant leaves the rounds within ±target after this many blocks
inline constexpr size_t kRoundsBeforeGivingUp = 5;  // ... or out of reach after this many
inline constexpr double kMinRoundsOverrun = 1.5;    // a case may pass its budget share this far to give each variant kMinRounds

// A round's load: the case's, with a kRoundWindowS window (open loop: at least kRoundMinSends
// sends, so a window edge cuts off a small share of a broadcast's bursts; never longer than the
// case's) and, after the first round (whose servers are fresh and take the case's warm-up), a
// kRoundWarmupS warm-up.
LoadSpec round_load(LoadSpec case_load, bool first_round);

// Why the malloc runs around a variant say the machine changed speed inside its block, if they do:
// `after` against `before` beyond 1 ± kBracketLimit.
std::optional<std::string> bracket_broken(double before, double after);

// The order of a round: malloc, then each variant followed by malloc. A chained round (every round
// after the first whose last malloc run was measured) leaves out the opening malloc: the last
// round's closing run is its first bracket. Measured again at once, malloc would run right after
// itself, on caches no other server has touched: on 1,000 connections 1.5x cheaper per message
// (broadcast) or 7 % (echo-text) than after a variant, which broke or biased the first block of
// every round.
std::vector<const Target*> round_order(const Target* reference, const std::vector<const Target*>& shuffled_variants, bool chained);

// How much slower the server's core ran around a variant's run than around the malloc runs just
// before and after it: the slower of the variant's two speed probes against the median of theirs.
// nullopt when a run has no probe.
std::optional<double> slowdown_against_bracket(const RunRecord& variant, const RunRecord& before, const RunRecord& after);

// A round's runs (in round_order's order) judged, the reasons said on the terminal:
//  - a variant's run becomes "disturbed" when a rule of disturbance.hpp fires on it, its core speed
//    judged against the malloc runs around it (slowdown_against_bracket), not the run's median: a
//    phase that slows the whole block is what the pairing cancels;
//  - and when its block is broken: a malloc run around it missing or unmeasured, or the two apart
//    (bracket_broken).
//  - malloc's own runs answer to the bracket alone, which sees what matters (their figure against
//    their neighbour's): a rule firing on one is a flag, where making it "disturbed" would take
//    both blocks around it for a slowdown the bracket may show to be none.
void judge_round(std::vector<RunRecord>& round, const DisturbanceLimits& limits = {});

class PrecisionBlocks {
 public:
  PrecisionBlocks(const RunOptions& opts, const RunPlan& plan);

  bool applies(const PlannedCase& pc) const;
  double budget_s() const noexcept { return left_s_; }

  // The case's share of what is left (call once per case that applies, before its rounds) and,
  // after them, what it spent.
  double begin_case();
  void end_case(double spent_s);

  // The variants of the next round (malloc, which brackets it, not included); empty when the
  // case is done. `records` are the run's so far (this case's precision rounds are picked out).
  std::vector<const Target*> next_round(const PlannedCase& pc, const std::vector<const Target*>& runnable,
                                        const std::vector<RunRecord>& records, const std::vector<Target>& targets);

  static const Target* reference(const std::vector<const Target*>& runnable);
  static std::vector<const Target*> candidates(const std::vector<const Target*>& runnable);

 private:
  const RunOptions& opts_;
  double left_s_ = 0;
  size_t cases_left_ = 0;
  std::set<std::string> out_of_reach_;  // "scenario/case/target" given up, said once
};

}  // namespace wsalloc::bench
