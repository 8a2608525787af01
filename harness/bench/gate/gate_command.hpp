// `wsbench gate`: the CI performance-regression gate.
//
//   wsbench gate [--baseline results/baseline.json] [--update-baseline] [--thresholds FILE]
//                [--markdown OUT.md] [--from-results CURRENT.json] [--variants LIST] [--no-core]
//                [--no-ab] [--no-exact] [--ab-base REV] [--ab-seed N] [--no-pin] [--save CURRENT.json]
//
// Measures (gate_measure.hpp) or reads (--from-results) the exact counts, compares them with the
// baseline under the thresholds (gate_compare.hpp); builds the base commit's server and runs the
// A/B against it (gate_base.hpp, gate_ab.hpp); prints the table (gate_table.hpp).
// --update-baseline writes the fresh exact measurement as the baseline (naming HEAD; a dirty tree
// is recorded and warned about) and prints what changed.
// Exit codes (GateExit): 0 pass (an A/B that was inconclusive or not done warns, and still passes),
// 3 regression, 2 harness error (including a baseline of another compiler/flags, a missing
// baseline, an unreadable file, a tool or the candidate server that failed).
#pragma once

#include <optional>
#include <string>

#include "bench/paths.hpp"

namespace CLI {
class App;
}

namespace wsalloc::bench::gate {

enum GateExit : int {
  kGatePass = 0,
  kGateHarnessError = 2,
  kGateRegression = 3,
};

struct GateOptions {
  BenchPaths paths;
  std::string baseline;        // default <repo>/results/baseline.json
  std::string thresholds;      // default harness/bench/gate/thresholds.toml in the source tree
  std::string markdown;        // "" = none
  std::string from_results;    // "" = measure now
  std::string save;            // "" = do not keep the current measurement
  std::string variants;        // "" = all; comma-separated
  bool core = true;
  bool exact = true;           // false (--no-exact): only the A/B, e.g. "is my branch slower than main?"
  bool ab = true;
  std::string ab_base;         // "" = the baseline's commit, else the merge base with main
  std::optional<uint64_t> ab_seed;  // default: a fresh one, printed
  bool pin = true;
  bool update_baseline = false;
};

// The whole gate; returns a GateExit. Prints the table to stdout, progress and errors to stderr.
int run_gate(const GateOptions& o);

// Registers the `gate` subcommand. Its callback runs the gate and ends the process with the
// gate's exit code (std::exit), so main() needs no other change than this call.
void add_gate_command(CLI::App& app);

}  // namespace wsalloc::bench::gate
