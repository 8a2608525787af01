// Targets: every server wsbench measures, found on this machine, with the reason when one is not.
//
//   variant    wsalloc-server --variant {malloc,arena,pool,zerocopy}
//   allocator  the malloc variant with jemalloc, mimalloc or tcmalloc preloaded (what a user tries
//              before rewriting their allocation code)
//   peer       reference servers: Boost.Beast, websocketpp (servers/peers/), Bun (uWebSockets
//              inside, from .peers/), websocat (when on PATH)
//   raw        wsalloc-rawecho: raw TCP echo, the machine's ceiling
//
// A target that cannot run stays in the list with available = false and a reason; the run records
// it for every case instead of dropping it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bench/paths.hpp"

namespace wsalloc::bench {

enum class TargetKind : uint8_t { Variant, Allocator, Peer, Raw };
const char* to_string(TargetKind k) noexcept;

enum class Readiness : uint8_t {
  ListeningLine,  // prints "listening on H:P" (the shared CLI contract); --port 0 works
  ConnectPoll,    // prints nothing: wsbench picks the port and polls until it accepts (websocat)
};

// What the LD_PRELOAD allocation counter can see in this target.
enum class CounterCoverage : uint8_t {
  Full,          // every malloc-family call of the server goes through glibc: counts are complete
  LibcOnly,      // the target has its own allocator inside; only its libc malloc calls are seen
  Incompatible,  // preloading the counter would change what is measured (allocator targets)
};
const char* to_string(CounterCoverage c) noexcept;

struct Target {
  std::string name;                   // "zerocopy", "malloc+jemalloc", "beast", "bun", "rawecho"
  TargetKind kind = TargetKind::Variant;
  std::string description;
  std::vector<std::string> argv;      // "{host}" and "{port}" are replaced when started
  std::vector<std::string> preload;   // LD_PRELOAD entries (allocator targets)
  Readiness readiness = Readiness::ListeningLine;
  bool takes_server_args = false;     // accepts a case's server_args (wsalloc-server)
  bool serves_stats = false;          // answers GET /stats with JSON
  bool raw_tcp = false;               // speaks raw TCP (wsload --raw), not WebSocket
  CounterCoverage counter = CounterCoverage::Full;
  std::string counter_note;           // why counts are partial or absent
  bool available = true;
  std::string reason;                 // why not available
  std::string version;                // e.g. Bun's version
};

struct DiscoveryOptions {
  BenchPaths paths;
  // Allocator libraries (Debian multiarch paths); a missing file makes that target unavailable.
  std::string jemalloc = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  std::string mimalloc = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2";
  std::string tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
  std::string websocat = "websocat";  // looked up on PATH
};

// Static discovery: which binaries, scripts and libraries exist. Never spawns anything (but
// Bun's version, which runs `bun --version`).
std::vector<Target> discover_targets(const DiscoveryOptions& opts);

// Starts each available target once (pinned nowhere, port 0) and marks the ones that do not come
// up as unavailable, with their exit status and last stderr line as the reason (e.g. a variant the
// server does not know yet). Bounded by `timeout` per target.
void probe_startup(std::vector<Target>& targets, const std::string& workdir, std::chrono::milliseconds timeout);

// Selection by a comma-separated list of names or globs ("malloc*,beast"); empty = all.
bool target_selected(const Target& t, const std::string& globs);

// argv with the placeholders filled in.
std::vector<std::string> target_argv(const Target& t, const std::string& host, uint16_t port);

}  // namespace wsalloc::bench
