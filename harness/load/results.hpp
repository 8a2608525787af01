// Results: what a worker counts, how workers' counts add up, and the two output forms (the human
// summary and the --json object), plus `wsload merge`.
//
// Counting rules (stated once, here):
//   messages       verified echoes (broadcast: verified deliveries) of messages sent in the measured
//                  window, i.e. whose send time (open loop: intended send time) is >= window start.
//                  Broadcast shard (--broadcast-shard): also the other publishers' messages verified
//                  on arrival inside the window (`foreign`; their send time is another process's).
//                  Mismatched messages are not counted; errors are counted in every phase.
//   payload_bytes  the payload bytes of those messages (one direction)
//   sent           messages written in any phase (warm-up and drain included)
//   missing        sent messages whose echo never came: skipped by a later echo, outstanding when the
//                  drain timed out, or lost with an unexpected close
//   behind_schedule  open loop: sends that left more than --late-us after their intended time
//   unsent         open loop: scheduled but still queued in wsload when the run ended (the server
//                  was not reading); not an error by itself, the missing echoes around it are
//   client_backlog   open loop: messages not even queued because a connection's queue was full
//                    (kMaxQueue): the schedule could not be kept at all, so the run is invalid
// A value that was not measured is null in JSON, never 0 (e.g. latency with no messages).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load/histogram.hpp"

namespace wsalloc::load {

struct ErrorCounts {
  uint64_t mismatch = 0;
  uint64_t missing = 0;
  uint64_t unexpected_close = 0;
  uint64_t protocol_error = 0;
  uint64_t handshake_failed = 0;
  uint64_t connect_failed = 0;
  uint64_t client_backlog = 0;

  uint64_t total() const noexcept {
    return mismatch + missing + unexpected_close + protocol_error + handshake_failed + connect_failed + client_backlog;
  }
  void add(const ErrorCounts& o) noexcept;
};

struct Counters {
  uint64_t messages = 0;
  uint64_t payload_bytes = 0;
  uint64_t sent = 0;
  uint64_t unsent = 0;                // open loop: scheduled, never written (backlog at the end)
  uint64_t handshakes = 0;            // successful, all phases
  uint64_t window_handshakes = 0;     // successful within the measured window (churn)
  uint64_t behind_schedule = 0;
  uint64_t pings_answered = 0;
  uint64_t latency_unknown = 0;       // broadcast: delivery whose send time had left the ring
  uint64_t broadcast_sent = 0;        // broadcast: messages the sender sent in the window
  // permessage-deflate (--deflate), all phases: sessions where the server agreed / declined, and
  // message bytes before and after compression each way (payloads only, no frame headers).
  uint64_t deflate_agreed = 0;
  uint64_t deflate_declined = 0;
  uint64_t deflate_sent_bytes = 0;      // what we compressed
  uint64_t deflate_sent_wire = 0;       // what that became
  uint64_t deflate_received_wire = 0;   // compressed payload bytes of the server's messages
  uint64_t deflate_received_bytes = 0;  // what they inflated to
  uint64_t foreign = 0;               // broadcast shard: deliveries of the other publishers' messages
                                      // (in `messages`; latency not measured: sent by another process)
  ErrorCounts errors;

  void add(const Counters& o) noexcept;
};

struct CpuTimes {
  double user_s = 0;
  double sys_s = 0;
};

// One run's (or a merge's) complete result.
struct RunResult {
  nlohmann::json config = nlohmann::json::object();
  Counters counters;
  LatencyHistogram latency;            // message round trip (broadcast: send -> delivery), ns
  LatencyHistogram handshake_latency;  // connect start -> 101 verified, ns
  double duration_s = 0;               // measured window: window start -> sending stopped
  std::optional<double> drain_s;       // sending stopped -> the last echo back (unset: a drain timed out)
  double setup_s = 0;                  // initial connects + handshakes
  CpuTimes cpu;                        // workers' CPU in the measured window (RUSAGE_THREAD, summed)
  CpuTimes process_cpu;                // whole process, whole run (RUSAGE_SELF)
  uint64_t connections_requested = 0;
  uint64_t connections_established = 0;
  bool timed_out = false;              // hard timeout: partial results
  std::vector<std::string> first_errors;  // one message per error kind seen first, for humans
  uint64_t runs = 1;                   // how many runs were merged into this one
  uint64_t windows_printed = 0;        // --hold: windows whose results were printed as they ended
  // Shards merged side by side (MergeKind::Shards): the sum of their rates. Each shard has its own
  // window, and they differ (load hosts start milliseconds apart), so all messages over the longest
  // window would undercount. Unset: the rates are derived from the counters and duration_s. JSON
  // carries them as "rates": "sum_of_shards" so that merging merges keeps the sums.
  struct SummedRates {
    double msgs_per_sec = 0, mb_per_sec = 0, handshakes_per_sec = 0;
  };
  std::optional<SummedRates> summed_rates;

  double msgs_per_sec() const noexcept;
  double mb_per_sec() const noexcept;       // payload bytes, one direction, 10^6 B
  double us_per_msg() const noexcept;       // workers' CPU / messages (NaN when no messages)
  double handshakes_per_sec() const noexcept;
};

nlohmann::json to_json(const RunResult& r);
// Throws std::invalid_argument (naming the field) when `j` is not a wsload result.
RunResult result_from_json(const nlohmann::json& j);
std::string human_summary(const RunResult& r);

enum class MergeKind : uint8_t { Shards, Sequential };
// Shards: parts of one run side by side (counters and rates add; duration is the longest, and the
// rates are the sum of the shards' rates, not messages / the longest duration).
// Sequential: repetitions (counters add; duration adds, so rates are totals / total time).
RunResult merge_results(const std::vector<RunResult>& parts, MergeKind kind);

}  // namespace wsalloc::load
