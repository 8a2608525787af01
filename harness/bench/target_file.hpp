// Target files: targets/<name>.toml (the built-in servers) and `--target-file PATH` (yours), parsed
// and validated the way scenario files are (file, line, key and what was expected on any error).
//
//   description = "Boost.Beast async echo, one thread"        # required
//   kind = "peer"              # variant | allocator | peer | raw | user (default user)
//   name = "beast"             # default: the file name without .toml
//   order = 20                 # place in lists and in the interleaving, lower first (default 100)
//   command = ["{bin}/wsalloc-peer-beast", "--host", "{host}", "--port", "{port}"]   # required
//   version_args = ["--version"]     # optional: its last line is appended to the description
//   [env]                      # optional; LD_PRELOAD entries must exist (the counter goes first)
//   [requires]                 # what must be on this machine, and what to do when it is not
//   program = "build the CMake target wsalloc-peer-beast"     # when command[0] is missing
//   files = [{ path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", hint = "Debian package libjemalloc2" }]
//   [ready]                    # required: exactly one of
//   line = 'listening on \S+:(\d+)'  #   a line it prints (ECMAScript regex); a capture group is the
//                                    #   port it chose, and {port} is then 0 ("pick one")
//   port = true                      #   or: wsbench picks {port} and polls until it accepts
//   stream = "stdout"                # where the line appears (stdout | stderr)
//   timeout = 15                     # seconds; then it is reported with the last lines it printed
//   [stop]
//   signal = "SIGTERM"         # SIGTERM | SIGINT | SIGQUIT | SIGHUP | SIGUSR1 | SIGUSR2 | SIGKILL
//   grace = 5                  # seconds before SIGKILL
//   [serves]
//   echo = "/"                 # WebSocket echo path: scenarios on "/" are sent here
//   broadcast = "/broadcast"   # optional fan-out path (probed before use); absent = none
//   raw_tcp = false            # a raw TCP echo (wsload --raw) instead of WebSocket
//   [capabilities]             # defaults in brackets
//   server_args = false        # takes a case's server_args (required flags checked in --help)
//   stats = false              # GET /stats JSON, and a JSON statistics line on stderr at exit
//   text = true                # echoes text messages
//   binary = true              # echoes binary messages
//   fragments = true           # reassembles fragmented messages
//   [skip]                     # scenarios it cannot run (globs over "scenario" or "scenario/case")
//   "idle-*" = "opens at most 1,024 connections"
//   [allocations]              # what the LD_PRELOAD allocation counter sees
//   counter = "full"           # full | libc-only | incompatible | invisible
//   note = "..."               # why, required unless full
//   [[variant]]                # optional: one target per table, sharing everything above
//   name = "arena"             # required: the target's name
//   vars = { variant = "arena" }   # extra placeholders for command, env and description
//   args = ["--io", "uring"]   # appended to command
//   # and kind, description, env, requires, allocations, which replace (env: extend) the file's
//
// Placeholders (placeholders.hpp): {bin} {repo} {peers} {dir} (this file's folder) and a variant's
// vars at load time; {host} {port} {cpu} when the server is started.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/config_error.hpp"
#include "bench/paths.hpp"
#include "bench/targets.hpp"

namespace wsalloc::bench {

using TargetFileError = ConfigFileError;

// One target as its file defines it, load-time placeholders filled, availability not yet checked.
struct TargetDefinition {
  Target target;                         // available = true until check_availability() says otherwise
  uint32_t order = 100;
  uint32_t name_line = 0;                // where the name is given (0: the file name is the name)
  std::string program_hint;              // what to do when command[0] is missing
  std::vector<std::pair<std::string, std::string>> required_files;  // (path, what to do when missing)
  std::vector<std::string> version_args;
  bool counter_declared = false;         // [allocations] counter given explicitly
};

// Parses one file into its targets (one, or one per [[variant]]). Throws TargetFileError.
std::vector<TargetDefinition> parse_target_file(const std::filesystem::path& file, const BenchPaths& paths);
// Same from text (tests); `file` names the target and its {dir}, and appears in messages.
std::vector<TargetDefinition> parse_target_text(std::string_view text, const std::filesystem::path& file,
                                                const BenchPaths& paths);

}  // namespace wsalloc::bench
