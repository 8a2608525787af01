// Targets: every server wsbench measures, found on this machine, with the reason when one is not.
//
// Each target is defined by a file (target_file.hpp): targets/*.toml for the built-in ones, and
// `wsbench run --target-file PATH` for yours; `--target-url` adds a server wsbench does not start
// (target_url.hpp). Their kinds:
//
//   variant    wsalloc-server --variant {malloc,arena,pool,zerocopy}
//   allocator  the malloc variant with jemalloc, mimalloc or tcmalloc preloaded (what a user tries
//              before rewriting their allocation code)
//   peer       reference servers: Boost.Beast, websocketpp (servers/peers/), Bun (uWebSockets
//              inside, from .peers/), websocat (when on PATH)
//   raw        wsalloc-rawecho: raw TCP echo, the machine's ceiling
//   user       a server of your own, from a target file
//   external   --target-url: not started by wsbench, client-side figures only
//
// A target that cannot run stays in the list with available = false and a reason; the run records
// it for every case instead of dropping it.
#pragma once

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/config_error.hpp"
#include "bench/paths.hpp"
#include "bench/scenario.hpp"

namespace wsalloc::bench {

enum class TargetKind : uint8_t { Variant, Allocator, Peer, Raw, User, External };
const char* to_string(TargetKind k) noexcept;

enum class ReadyBy : uint8_t {
  Line,  // a line matching `pattern` appears on its stdout (or stderr)
  Port,  // prints nothing useful: wsbench picks the port and polls until it accepts (websocat)
};

struct ReadyRule {
  ReadyBy by = ReadyBy::Line;
  // ECMAScript regex. The default is the shared CLI contract (`listening on H:P`, --port 0 works).
  std::string pattern = R"(listening on \S+:(\d+))";
  // The pattern's first capture group is the port the server chose: {port} is then 0 ("pick one").
  // Without one (and with ReadyBy::Port) wsbench picks a free port and passes it as {port}.
  bool port_group = true;
  bool on_stderr = false;
  std::chrono::milliseconds timeout{15'000};
};

// What the LD_PRELOAD allocation counter can see in this target.
enum class CounterCoverage : uint8_t {
  Full,          // every malloc-family call of the server goes through glibc: counts are complete
  LibcOnly,      // the target has its own allocator inside; only its libc malloc calls are seen
  Incompatible,  // preloading the counter would change what is measured (allocator targets)
  Invisible,     // the counter cannot see its allocations (statically linked, Go runtime): not counted
  NotStarted,    // not started by wsbench (--target-url): nothing to preload into
};
const char* to_string(CounterCoverage c) noexcept;

struct Target {
  std::string name;                   // "zerocopy", "malloc+jemalloc", "beast", "bun", "rawecho"
  TargetKind kind = TargetKind::Variant;
  std::string description;
  std::vector<std::string> argv;      // "{host}", "{port}" and "{cpu}" are filled when started
  std::vector<std::pair<std::string, std::string>> env;  // same placeholders; LD_PRELOAD is `preload`
  std::vector<std::string> preload;   // LD_PRELOAD entries (allocator targets)
  ReadyRule ready;
  int stop_signal = SIGTERM;
  std::optional<std::chrono::milliseconds> stop_grace;  // overrides the caller's grace when set

  // What it serves and can do; a case needing anything else is skipped with the reason (case_gate).
  std::string echo_path = "/";        // scenarios on "/" are sent here
  std::string broadcast_path;         // "" = none; otherwise probed before a broadcast case runs
  bool raw_tcp = false;               // speaks raw TCP (wsload --raw), not WebSocket
  bool takes_server_args = false;     // accepts a case's server_args (wsalloc-server; the peers the
                                      // flags their --help lists, e.g. --deflate)
  bool serves_stats = false;          // answers GET /stats with JSON
  bool echoes_text = true;
  bool echoes_binary = true;
  bool reassembles_fragments = true;
  std::vector<std::pair<std::string, std::string>> skip;  // (scenario glob, reason) from [skip]

  CounterCoverage counter = CounterCoverage::Full;
  std::string counter_note;           // why counts are partial or absent
  bool available = true;
  std::string reason;                 // why not available
  std::string version;                // e.g. Bun's version
  std::string source;                 // the file that defines it, "--target-url", "" = built in code
  bool given = false;                 // by --target-file / --target-url: runs whatever --targets says

  // kind External (--target-url): where it already runs.
  std::string url;
  std::string url_host;
  uint16_t url_port = 0;
  bool external() const noexcept { return kind == TargetKind::External; }
};

struct DiscoveryOptions {
  BenchPaths paths;                        // targets_dir: the built-in target files
  std::vector<std::string> target_files;   // --target-file, in command-line order
  std::vector<std::string> target_urls;    // --target-url
};

// Reads targets/*.toml and the --target-file files, adds the --target-url servers, and checks what
// is on this machine (programs, required files, preloads, versions, what the counter can see).
// Never starts a server (but runs a target's version_args, e.g. `bun --version`). Order: by each
// file's `order`, then file name, then [[variant]] order; --target-file ones after, URLs last.
// A broken file (or a name used twice) throws ConfigFileError, a bad URL std::invalid_argument;
// with `errors`, the error is collected instead and the other targets are still returned.
std::vector<Target> discover_targets(const DiscoveryOptions& opts, std::vector<std::string>* errors = nullptr);

// Starts each available target once (pinned nowhere) and marks the ones that do not come up as
// unavailable, with their exit status and the last lines they printed as the reason (e.g. a
// variant the server does not know yet). Each is bounded by its own ready timeout. External
// targets are checked by a TCP connect instead.
void probe_startup(std::vector<Target>& targets, const std::string& workdir);

// Selection by a comma-separated list of names or globs ("malloc*,beast"); empty = all. "!glob"
// leaves out what it matches, whatever else selects it ("!arena+uring"); a list of exclusions
// alone selects everything else.
bool target_selected(const Target& t, const std::string& globs);

// The start-time placeholders' values.
struct StartValues {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string cpu = "0";  // taskset list syntax
};
// argv (and env) with the start-time placeholders filled.
std::vector<std::string> target_argv(const Target& t, const StartValues& v);
std::vector<std::pair<std::string, std::string>> target_env(const Target& t, const StartValues& v);

// The case's load as this target is sent it: scenarios on "/" go to its echo path, broadcast to
// its broadcast path; other paths (wsalloc-server's /work) unchanged.
LoadSpec load_for_target(const LoadSpec& load, ScenarioKind kind, const Target& t);

}  // namespace wsalloc::bench
