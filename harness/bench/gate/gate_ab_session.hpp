// What one A/B run of the gate measured (gate_ab.hpp measures it, gate_compare.hpp judges it):
// the base commit and how it was chosen, every run, and per variant the paired blocks of server
// CPU per message (target = candidate, reference = base). Kept in the gate document (`"ab"`), so
// --save keeps it and --from-results (and the tests) can judge a hand-made session.
//
//   "ab": {"status": "done" | "not_done", "reason": "...", "variants": [...], "seed": 42, "seconds": 81.2,
//          "base": {"sha": "569c708…", "source": "results/baseline.json", "build_seconds": 95.0, "reused": false},
//          "workload": {...}, "redone_pairs": 0,
//          "blocks": {"zerocopy": [[candidate_ns, base_ns], ...], ...},
//          "runs": [{"variant", "build", "block", "attempt", "messages", "run_ns", "wait_ns", "slices", "window_ns", "wall_s",
//                    "steal_server", "steal_load"}, ...]}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/compare/comparison.hpp"

namespace wsalloc::bench::gate {

enum class AbStatus : uint8_t {
  Done,     // measured; the rows say what it found
  NotDone,  // no base (not found, not buildable, failed to run): `reason` says why; warns, never passes silently
};

struct AbBase {
  std::string sha;           // full sha of the base commit ("" when none was found)
  std::string source;        // how it was chosen: "--ab-base main~3", "results/baseline.json", "merge-base with main"
  double build_seconds = 0;  // configure + build of its wsalloc-server (0 when reused)
  bool reused = false;       // built by an earlier gate in this build tree
};

struct AbRun {
  std::string variant;
  std::string build;         // "base" or "candidate"
  uint32_t block = 0;
  uint32_t attempt = 0;      // > 0: the pair was measured again (steal)
  uint64_t messages = 0;     // echoed in the measured windows, per wsload
  uint64_t run_ns = 0;       // server CPU (schedstat, all threads) over the measured windows
  uint64_t wait_ns = 0;      // server runnable but waiting for its CPU
  uint64_t slices = 0;       // times the server's threads were scheduled in (~ its wake-ups)
  std::vector<double> window_ns;  // server CPU ns per message of each measured window, in order
  double wall_s = 0;         // the measured windows' wall time
  double steal_server = 0;   // fraction of the server's CPU stolen by the hypervisor
  double steal_load = 0;
  double ns_per_msg() const noexcept { return messages ? double(run_ns) / double(messages) : 0; }
};

struct AbSession {
  AbStatus status = AbStatus::NotDone;
  std::string reason;
  AbBase base;
  std::vector<std::string> variants;  // asked for (a not-done session still names them)
  uint64_t seed = 0;                  // block orders and the bootstrap
  double seconds = 0;        // measuring (the base build not included)
  int redone_pairs = 0;
  nlohmann::json workload = nlohmann::json::object();
  std::map<std::string, std::vector<compare::Block>> blocks;
  std::vector<AbRun> runs;
};

nlohmann::json to_json(const AbSession& s);
// Throws std::runtime_error naming `origin` and the field.
AbSession ab_session_from_json(const nlohmann::json& j, std::string_view origin);

}  // namespace wsalloc::bench::gate
