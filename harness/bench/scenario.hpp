// Scenario: one scenarios/<name>.toml file, parsed and validated, as wsbench runs it.
//
// A scenario is a workload (what wsload does) with one or more cases (variations of it: payload
// sizes, open-loop rates, server flags). Every case runs against every target the case can run on;
// the results key is (scenario, case, target, repetition).
//
//   description = "32-byte binary echo, 100 connections, one message in flight each"
//   kind = "echo"               # echo | churn | idle | latency-at-rate | broadcast | executor
//   [load]                      # wsload flags shared by every case (see LoadSpec)
//   connections = 100
//   payload = "32"
//   [requires]                  # who can run it (see Requirements)
//   raw = true
//   [quick]                     # present: part of `wsbench run --quick`, with these overrides
//   duration = 1.5
//   [[case]]                    # optional; without it there is one case named "default"
//   name = "64KiB"
//   payload = "64KiB"
//
// Parsing is strict: an unknown key, a value of the wrong type or out of range is an error that
// names the file, the line and the key (a typo must not silently fall back to a default).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/config_error.hpp"

namespace wsalloc::bench {

enum class ScenarioKind : uint8_t {
  Echo,           // closed- or open-loop echo; headline: msgs/s and server CPU per message
  Churn,          // connect, K messages, close, again (wsload --churn); headline: handshakes/s
  Idle,           // hold N connections (wsload --idle); headline: server RSS per connection
  LatencyAtRate,  // an implicit "capacity" case (closed loop), then open loop at fractions of it
  Broadcast,      // one sender, N receivers on /broadcast (wsload --broadcast)
  Executor,       // echo with a fixed-cost handler, inline vs on a thread pool (server flags)
};
const char* to_string(ScenarioKind k) noexcept;

// What wsload is asked to do. Each field maps to one wsload flag; the defaults are wsload's.
struct LoadSpec {
  uint32_t connections = 100;  // --connections (broadcast: receivers)
  uint32_t threads = 1;        // --threads; 1 because wsload is pinned to one core
  uint32_t pipeline = 1;       // --pipeline, closed loop
  double rate = 0;             // --rate, open loop, msgs/s in total; 0 = closed loop
  double rate_fraction = 0;    // latency-at-rate: rate = fraction x this target's measured capacity
  std::string payload = "32";  // --payload: a size or a list "32,512,16KiB"
  std::string weights;         // --weights for a list ("" = equal)
  bool text = false;           // --text (valid UTF-8) instead of binary
  bool json_text = false;      // --json-text: text shaped like JSON records (compressible)
  bool deflate = false;        // --deflate: offer permessage-deflate (the server needs its own flag)
  uint32_t fragments = 1;      // --fragments: frames per message
  uint32_t churn = 0;          // --churn K (kind churn)
  std::string path = "/";      // --path (kind broadcast: "/broadcast")
  double duration_s = 5;       // --duration: the measured window
  double warmup_s = 1;         // --warmup: load before the window, not measured

  friend bool operator==(const LoadSpec&, const LoadSpec&) = default;
};

// Who can run a case. A target that cannot is recorded as skipped with the reason, never dropped.
struct Requirements {
  bool raw = false;                       // the raw TCP echo (no framing) can run it
  std::vector<std::string> features;      // probed on the running server: "broadcast"
  std::vector<std::string> server_flags;  // flags the target's --help must list, e.g. "--executor"
  std::vector<std::string> target_kinds;  // restrict to kinds ("variant", "allocator", "peer", "raw", "user",
                                          // "external"); empty = any
};

struct Case {
  std::string name;                      // "default" when the file has no [[case]]
  LoadSpec load;
  std::vector<std::string> server_args;  // extra flags for wsalloc-server (kind executor)
  bool quick = false;                    // part of the --quick set (after [quick] cases=)
  LoadSpec quick_load;                   // load with the [quick] overrides applied
};

struct QuickSpec {
  bool included = false;
  std::optional<uint32_t> repetitions;   // per-scenario override of the run's repetition count
};

struct Scenario {
  std::string name;                 // file stem: scenarios/echo-small.toml -> "echo-small"
  std::filesystem::path file;
  std::string description;
  ScenarioKind kind = ScenarioKind::Echo;
  Requirements requires_;
  QuickSpec quick;
  std::vector<Case> cases;          // in file order; latency-at-rate: "capacity" first
  std::string needs_note;           // free text: server support this scenario needs (shown by `list`)
  // latency-at-rate: take the capacity from this scenario's first case when it runs earlier in the
  // same wsbench run with the same load shape (connections, payload, pipeline, ...), instead of
  // measuring the "capacity" case again. "" = always measure it here.
  std::string capacity_from;
};

// Same load shape: everything but the window, warm-up and open-loop settings.
bool same_load_shape(const LoadSpec& a, const LoadSpec& b) noexcept;

// Thrown for any problem in a scenario file. what(): "FILE:LINE: key 'K': MESSAGE"
// (LINE 0 when the problem has no line, e.g. the file cannot be opened). Target files share it.
using ScenarioError = ConfigFileError;

// Parses and validates one file. Throws ScenarioError.
Scenario parse_scenario_file(const std::filesystem::path& file);
// Same, from text (tests); `file` is only used in messages and for the name.
Scenario parse_scenario_text(std::string_view text, const std::filesystem::path& file);

// Every *.toml under dir, sorted by name. A broken file throws (a run must not quietly lose a
// scenario); `errors`, when given, collects the errors instead and the good files are returned.
std::vector<Scenario> load_scenarios(const std::filesystem::path& dir, std::vector<std::string>* errors = nullptr);

// Selection by a comma-separated list of globs (fnmatch) matched against scenario names:
// "echo-*", "echo-small,idle-10k". Empty = all.
bool scenario_selected(const Scenario& s, const std::string& globs);

}  // namespace wsalloc::bench
