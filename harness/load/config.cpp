#include "load/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/deflate_negotiation.hpp"
#include "core/extension_list.hpp"

namespace wsalloc::load {

const char* to_string(Mode m) noexcept {
  switch (m) {
    case Mode::Echo: return "echo";
    case Mode::Raw: return "raw";
    case Mode::Idle: return "idle";
    case Mode::Broadcast: return "broadcast";
  }
  return "?";
}

double Config::effective_hard_timeout() const noexcept {
  if (hard_timeout_s > 0) return hard_timeout_s;
  // A run bounded only by --messages may legitimately take long; one bounded by time gets a
  // generous margin over its own schedule (connect, warm-up, window, drain, close).
  if (duration_s <= 0) return 600;
  return connect_timeout_s + warmup_s + duration_s + drain_s + 10;
}

nlohmann::json Config::to_json() const {
  return {{"host", host},
          {"port", port},
          {"path", path},
          {"mode", to_string(mode)},
          {"connections", connections},
          {"threads", threads},
          {"loop", open_loop() ? "open" : "closed"},
          {"pipeline", pipeline},
          {"rate", rate},
          {"payload", payload_sizes},
          {"weights", payload_weights},
          {"text", is_text(kind)},
          {"payload_kind", kind == PayloadKind::Json ? "json" : kind == PayloadKind::Text ? "text" : "binary"},
          {"deflate", deflate() ? nlohmann::json(deflate_offer) : nlohmann::json(nullptr)},
          {"fragments", fragments},
          {"churn", churn},
          {"duration_s", duration_s},
          {"warmup_s", warmup_s},
          {"messages", messages},
          {"hold", hold},
          {"drain_s", drain_s},
          {"connect_timeout_s", connect_timeout_s},
          {"hard_timeout_s", effective_hard_timeout()},
          {"late_tolerance_us", late_tolerance_us},
          {"broadcast_shard", publisher.tagged() ? nlohmann::json(std::to_string(publisher.index) + "/" + std::to_string(publisher.count))
                                                 : nlohmann::json(nullptr)}};
}

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    out.push_back(trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::vector<size_t> parse_size_list(const std::string& text) {
  std::vector<size_t> out;
  for (const auto& item : split_commas(text)) {
    uint64_t v = 0;
    const char* b = item.data();
    const char* e = b + item.size();
    const auto r = std::from_chars(b, e, v);
    if (r.ec != std::errc{} || r.ptr == b) throw std::invalid_argument("payload size \"" + item + "\" is not a number");
    std::string suffix(r.ptr, e);
    std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::tolower(c); });
    uint64_t mul = 1;
    if (suffix.empty() || suffix == "b") mul = 1;
    else if (suffix == "k" || suffix == "kib" || suffix == "kb") mul = 1024;
    else if (suffix == "m" || suffix == "mib" || suffix == "mb") mul = 1024 * 1024;
    else throw std::invalid_argument("payload size \"" + item + "\": unknown suffix \"" + suffix + "\" (use B, KiB or MiB)");
    if (v > (uint64_t{1} << 30) / mul) throw std::invalid_argument("payload size \"" + item + "\" > 1 GiB limit");
    out.push_back(static_cast<size_t>(v * mul));
  }
  return out;
}

std::vector<unsigned> parse_weight_list(const std::string& text) {
  std::vector<unsigned> out;
  for (const auto& item : split_commas(text)) {
    unsigned v = 0;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), v);
    if (r.ec != std::errc{} || r.ptr != item.data() + item.size()) {
      throw std::invalid_argument("weight \"" + item + "\" is not a non-negative integer");
    }
    out.push_back(v);
  }
  return out;
}

PublisherTag parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  uint32_t k = 0, n = 0;
  auto number = [&](std::string_view part, uint32_t& v) {
    const auto r = std::from_chars(part.data(), part.data() + part.size(), v);
    return r.ec == std::errc{} && r.ptr == part.data() + part.size();
  };
  const std::string_view all(text);
  if (slash == std::string::npos || !number(all.substr(0, slash), k) || !number(all.substr(slash + 1), n)) {
    throw std::invalid_argument("--broadcast-shard \"" + text + "\": expected K/N, e.g. 2/3");
  }
  if (n < 1 || n > kMaxPublishers || k < 1 || k > n) {
    throw std::invalid_argument("--broadcast-shard " + text + ": need 1 <= K <= N <= " + std::to_string(kMaxPublishers));
  }
  return {k, n};
}

namespace {

constexpr const char* kFooter = R"(
Modes (default: echo):
  echo        every message must come back, byte for byte, on its own connection
  --raw       raw TCP echo (no handshake, no framing), for wsalloc-rawecho: the machine's ceiling
  --idle      open N connections, handshake, hold them for --duration, close
  --broadcast N receivers + 1 sender on --path (default /broadcast); every message the sender
              sends must reach every receiver; latency per delivery
  --broadcast-shard K/N  this run is shard K of N runs (e.g. on N load hosts) sharing one broadcast
              group: each shard's sender is a publisher, its messages carry its tag (payload
              >= 16 B), and the receivers also verify the other publishers' messages, in order per
              publisher; those count as deliveries without latency (sent by another process)
Loops:
  closed (default)  --pipeline K messages in flight per connection
  open              --rate R msgs/s in total on a fixed schedule; latency counts from each message's
                    intended send time (no coordinated omission); late sends are "behind_schedule"
Verification: each payload starts with its sequence number (8 ASCII chars); every echoed byte is
compared with what was sent (with --deflate: after inflating it). Errors are counted by kind: mismatch, missing, unexpected_close,
protocol_error, handshake_failed, connect_failed, client_backlog.
Exit status: 0 ok, 1 errors counted, 2 usage, 3 no connection, 4 no handshake, 5 hard timeout,
6 internal error.
Hold (--hold): connect once, then read commands on stdin, one per line:
  window W D  a warm-up of W s then a measured window of D s on the open connections, drained;
              its result on stdout (one JSON line with --json), then "wsload: window done" on stderr
  quit        (or end of input) close the connections and exit; so does no command for 120 s
  --messages M: each window sends at most M measured messages (ending early when they are sent)
  Exit status: that of the worst window. Not with --idle, --churn, --broadcast-shard.
Merge: wsload merge [--sequential] a.json b.json ...   (histograms and counters of --json runs)
Examples:
  wsload --port 9000 --connections 64 --pipeline 16 --payload 32 --duration 10 --json
  wsload --port 9000 --connections 100 --rate 50000 --payload 32,512,16384 --weights 70,25,5
  wsload --port 9001 --raw --connections 1 --payload 64KiB --duration 5
  wsload --port 9000 --connections 100 --payload 2KiB --json-text --deflate --duration 5
)";

}  // namespace

namespace {

std::variant<Config, MergeArgs, ExitCode> parse_merge_command_line(int argc, char** argv) {
  CLI::App app{"wsload merge: merge the histograms and counters of wsload --json results", "wsload merge"};
  MergeArgs m;
  app.add_option("files", m.files, "wsload --json result files")->required()->check(CLI::ExistingFile);
  app.add_flag("--sequential", m.sequential,
               "inputs ran one after another: rates = total messages / summed durations "
               "(default: shards of one run, so rates add up and the duration is the longest)");
  bool human = false;
  app.add_flag("--human", human, "print the human summary instead of JSON");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? ExitCode::Ok : ExitCode::Usage;
  }
  m.json = !human;
  return m;
}

// What the command line says beyond the Config fields CLI11 fills directly: the raw strings and
// flags, and the options whose presence (not value) matters.
struct Flags {
  std::string payload = "32", weights, shard;
  bool raw = false, idle = false, broadcast = false, text = false, binary = false, json_text = false, deflate = false;
  std::string offer = std::string(kDefaultDeflateOffer);
  CLI::Option *path = nullptr, *pipeline = nullptr, *rate = nullptr, *fragments = nullptr, *churn = nullptr,
              *duration = nullptr, *messages = nullptr;
};

// Declares every option of a run on `app`, into `c` and `f`. Long by nature: one line per option.
void add_run_options(CLI::App& app, Config& c, Flags& f) {
  app.add_option("--host", c.host, "server address (IPv4/IPv6 literal or name)")->capture_default_str();
  app.add_option("--port", c.port, "server port")->required();
  f.path = app.add_option("--path", c.path, "request target of the upgrade (--broadcast: /broadcast)")->capture_default_str();
  app.add_option("--connections,-c", c.connections, "connections (--broadcast: receivers)")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--threads,-t", c.threads, "worker threads, each with its own epoll set and connections")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{256}));
  auto* raw_opt = app.add_flag("--raw", f.raw, "raw TCP echo mode: no handshake, no framing");
  auto* idle_opt = app.add_flag("--idle", f.idle, "open, handshake and hold the connections for --duration");
  auto* bc_opt = app.add_flag("--broadcast", f.broadcast, "one sender, --connections receivers");
  raw_opt->excludes(idle_opt)->excludes(bc_opt);
  idle_opt->excludes(bc_opt);
  auto* shard_opt = app.add_option("--broadcast-shard", f.shard, "K/N: shard K of N wsload runs on one broadcast group (see below)");
  shard_opt->needs(bc_opt);
  f.pipeline = app.add_option("--pipeline,-k", c.pipeline, "closed loop: messages in flight per connection")->capture_default_str()->check(CLI::Range(size_t{1}, size_t{1} << 16));
  f.rate = app.add_option("--rate,-r", c.rate, "open loop: total messages/s on a fixed schedule (0: closed loop)")->check(CLI::NonNegativeNumber);
  app.add_option("--payload,-s", f.payload, "payload bytes, or a size list: 32,512,16384 (suffixes KiB, MiB)")->capture_default_str();
  app.add_option("--weights", f.weights, "weights for a size list, e.g. 70,25,5 (default: equal)");
  auto* text_opt = app.add_flag("--text", f.text, "text messages: valid UTF-8 with 1- to 4-byte characters");
  auto* bin_opt = app.add_flag("--binary", f.binary, "binary messages (default)");
  auto* json_opt = app.add_flag("--json-text", f.json_text, "text messages shaped like JSON records (compressible)");
  text_opt->excludes(bin_opt);
  json_opt->excludes(text_opt)->excludes(bin_opt);
  auto* deflate_opt = app.add_flag("--deflate", f.deflate,
                                   "offer permessage-deflate; when agreed, compress every message and inflate every echo");
  app.add_option("--deflate-offer", f.offer, "the Sec-WebSocket-Extensions value offered")->capture_default_str()->needs(deflate_opt);
  f.fragments = app.add_option("--fragments,-f", c.fragments, "frames per message (each masked with its own key)")->capture_default_str()->check(CLI::Range(1u, 65536u));
  f.churn = app.add_option("--churn", c.churn, "close and reconnect each connection after K messages (0: never)")->capture_default_str();
  f.duration = app.add_option("--duration,-d", c.duration_s, "measured window, seconds (0: until --messages)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--warmup,-w", c.warmup_s, "seconds of load before the measured window")->capture_default_str()->check(CLI::NonNegativeNumber);
  f.messages = app.add_option("--messages,-m", c.messages, "send at most M messages in the measured window, over all connections (0: no limit)")->capture_default_str();
  app.add_option("--drain", c.drain_s, "seconds to wait for outstanding echoes once sending stops")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--connect-timeout", c.connect_timeout_s, "seconds for connect + handshake, per connection")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--hard-timeout", c.hard_timeout_s, "abort after this many seconds (0: connect+warmup+duration+drain+10, or 600 without --duration)")->capture_default_str()->check(CLI::NonNegativeNumber);
  app.add_option("--late-us", c.late_tolerance_us, "open loop: a send later than this after its intended time is behind schedule")->capture_default_str();
  app.add_flag("--json", c.json, "print one JSON object on stdout instead of the summary");
  app.add_flag("--quiet,-q", c.quiet, "no progress line on stderr");
  app.add_flag("--hold", c.hold, "connect once, then one measured window per \"window W D\" line on stdin (see below)");
  app.add_option("--seed", c.seed, "PRNG seed for keys and masks (0: fresh)")->capture_default_str();
}

// Mode, payload kind, deflate offer, shard, sizes and weights from the flags. Returns the usage
// error, if any.
std::optional<std::string> apply_flags(Config& c, const Flags& f) {
  c.mode = f.raw ? Mode::Raw : f.idle ? Mode::Idle : f.broadcast ? Mode::Broadcast : Mode::Echo;
  c.kind = f.json_text ? PayloadKind::Json : f.text ? PayloadKind::Text : PayloadKind::Binary;
  if (f.deflate) {
    if (c.mode == Mode::Raw) return "--deflate with --raw: raw mode has no handshake to negotiate it in";
    core::DeflateOffer parsed;
    const core::ExtensionElement e = core::parse_extension_element(f.offer);
    const core::OfferCheck check = e.well_formed ? core::parse_deflate_offer(e.params, parsed) : core::OfferCheck::Malformed;
    if (e.name != core::kPermessageDeflate || check != core::OfferCheck::Valid || f.offer.find(',') != std::string::npos) {
      return "--deflate-offer \"" + f.offer + "\": not one valid permessage-deflate offer (" +
             (e.name != core::kPermessageDeflate ? std::string("not permessage-deflate") : core::to_string(check)) + ")";
    }
    c.deflate_offer = f.offer;
  }
  try {
    if (!f.shard.empty()) c.publisher = parse_shard(f.shard);
    c.payload_sizes = parse_size_list(f.payload);
    if (!f.weights.empty()) c.payload_weights = parse_weight_list(f.weights);
    PayloadCatalogue check(c.payload_sizes, c.payload_weights, c.kind, 0x5eed, false, c.publisher);  // weights vs sizes, sizes vs tag
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
  if (c.mode == Mode::Broadcast && f.path->count() == 0) c.path = "/broadcast";
  return std::nullopt;
}

// Options that are fine alone but not together, or not in this mode. Returns the usage error.
std::optional<std::string> check_combinations(const Config& c, const Flags& f) {
  if (c.path.empty() || c.path[0] != '/') return "--path \"" + c.path + "\" must start with '/'";
  if (c.path.find_first_of(" \r\n") != std::string::npos) return "--path \"" + c.path + "\" contains a space or line break";
  if (c.rate != 0 && (c.rate < 0.001 || c.rate > 1e9)) {
    return "--rate " + std::to_string(c.rate) + ": must be 0 (closed loop) or 0.001 .. 1e9 msgs/s";
  }
  if (c.rate > 0 && f.pipeline->count() > 0) {
    return "--pipeline " + std::to_string(c.pipeline) + " with --rate: the open loop has no window (drop one)";
  }
  if (c.mode == Mode::Raw) {
    if (f.fragments->count() > 0 && c.fragments != 1) return "--fragments with --raw: raw mode sends no frames";
    if (f.churn->count() > 0 && c.churn != 0) return "--churn with --raw: churn measures WebSocket handshakes";
    for (size_t s : c.payload_sizes) {
      if (s == 0) return "--raw with a 0-byte payload: raw messages are delimited by their size only";
    }
  }
  if (c.mode == Mode::Idle && (f.rate->count() || f.pipeline->count() || f.messages->count() || f.churn->count())) {
    return "--idle sends no messages: drop --rate/--pipeline/--messages/--churn";
  }
  if (c.mode == Mode::Broadcast && c.churn != 0) return "--churn with --broadcast is not supported";
  if (c.mode == Mode::Idle && c.duration_s <= 0) return "--idle needs --duration > 0";
  if (c.duration_s <= 0 && c.messages == 0) return "--duration 0 without --messages: the run would never end";
  if (c.hold) {
    if (c.mode == Mode::Idle) return "--hold with --idle: an idle run has no windows to repeat";
    if (c.churn != 0) return "--hold with --churn: held connections are never reconnected";
    if (c.publisher.tagged()) return "--hold with --broadcast-shard: the shards' windows are not held together";
  }
  return std::nullopt;
}

}  // namespace

std::variant<Config, MergeArgs, ExitCode> parse_command_line(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "merge") == 0) return parse_merge_command_line(argc, argv);

  CLI::App app{"wsload: WebSocket load generator with verified echoes and coordinated-omission-free latency", "wsload"};
  app.footer(kFooter);
  app.get_formatter()->column_width(34);
  Config c;
  Flags f;
  add_run_options(app, c, f);
  auto usage_error = [&](const std::string& msg) {
    std::fprintf(stderr, "wsload: %s\nRun with --help for more information.\n", msg.c_str());
    return ExitCode::Usage;
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? ExitCode::Ok : ExitCode::Usage;
  }
  if (auto error = apply_flags(c, f)) return usage_error(*error);
  if (auto error = check_combinations(c, f)) return usage_error(*error);

  if (f.duration->count() == 0 && f.messages->count() > 0) c.duration_s = 0;  // --messages alone bounds the run
  // Fewer connections than threads would leave threads with nothing to do.
  if (c.mode != Mode::Broadcast && c.threads > c.connections) c.threads = c.connections;
  if (c.mode == Mode::Broadcast && c.threads > c.connections + 1) c.threads = c.connections + 1;
  if (c.mode == Mode::Broadcast && c.pipeline > 32768) return usage_error("--broadcast --pipeline " + std::to_string(c.pipeline) + " > 32768 (the delivery ring)");
  return c;
}

}  // namespace wsalloc::load
