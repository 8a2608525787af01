// wsload's configuration: one plain struct, filled by parse_command_line() and validated there, so
// the rest of wsload can trust every field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "load/exit_code.hpp"
#include "load/payload.hpp"

namespace wsalloc::load {

enum class Mode : uint8_t {
  Echo,       // default: every message comes back on its connection
  Raw,        // --raw: TCP echo, no handshake, no framing (wsalloc-rawecho)
  Idle,       // --idle: open, handshake, hold, close
  Broadcast,  // --broadcast: 1 sender, N receivers; every message reaches every receiver
};
const char* to_string(Mode m) noexcept;

// What --deflate offers unless --deflate-offer says otherwise: what browsers and Python's websockets
// send (the server may then limit our window).
inline constexpr std::string_view kDefaultDeflateOffer = "permessage-deflate; client_max_window_bits";

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/";
  size_t connections = 1;
  size_t threads = 1;
  Mode mode = Mode::Echo;
  size_t pipeline = 1;           // closed loop: messages in flight per connection
  double rate = 0;               // open loop: total msgs/s; 0 = closed loop
  std::vector<size_t> payload_sizes{32};
  std::vector<unsigned> payload_weights;  // empty: equal
  PayloadKind kind = PayloadKind::Binary;
  unsigned fragments = 1;
  uint64_t churn = 0;            // reconnect each connection after this many messages; 0 = never
  double duration_s = 10;        // measured window; 0 = unbounded (then --messages bounds the run)
  double warmup_s = 0;
  uint64_t messages = 0;         // measured-window send budget over all connections; 0 = unbounded
  double drain_s = 2;            // wait for outstanding echoes after sending stops
  double connect_timeout_s = 5;  // connect + handshake, per connection
  double hard_timeout_s = 0;     // 0 = derived (see effective_hard_timeout)
  uint64_t late_tolerance_us = 1000;
  // permessage-deflate (RFC 7692): offer it (this Sec-WebSocket-Extensions value) and, when the
  // server agrees, compress every message and inflate every echo. Empty = no offer.
  std::string deflate_offer;
  bool json = false;
  bool quiet = false;            // no progress on stderr even on a terminal
  // --hold: connect once, then measure one window per command read on stdin, on the same
  // connections (run.hpp). The windows' warm-up and duration come with each command.
  bool hold = false;
  uint64_t seed = 0;             // 0 = fresh per run
  // --broadcast-shard K/N: this run is one of N on one broadcast group, its sender publisher K.
  PublisherTag publisher;

  bool open_loop() const noexcept { return rate > 0; }
  bool deflate() const noexcept { return !deflate_offer.empty(); }
  double effective_hard_timeout() const noexcept;
  nlohmann::json to_json() const;
};


struct MergeArgs {
  std::vector<std::string> files;
  bool sequential = false;  // runs one after another (rates from summed durations) vs shards of one run
  bool json = true;
};

// argv[1] == "merge" selects MergeArgs. On --help or an error, the text has been printed and the
// ExitCode is returned instead.
std::variant<Config, MergeArgs, ExitCode> parse_command_line(int argc, char** argv);

// Parses "32,512,16384" (also "64KiB", "1k", "1M" suffixes: k/K/KiB = 1024). Throws
// std::invalid_argument quoting the bad element.
std::vector<size_t> parse_size_list(const std::string& text);
std::vector<unsigned> parse_weight_list(const std::string& text);
// "K/N" of --broadcast-shard; throws std::invalid_argument quoting it. Receivers keep a next expected
// number per publisher, hence the bound.
inline constexpr uint32_t kMaxPublishers = 1024;
PublisherTag parse_shard(const std::string& text);

}  // namespace wsalloc::load
