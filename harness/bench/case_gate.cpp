#include "bench/case_gate.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/child_process.hpp"
#include "bench/server_launch.hpp"

namespace wsalloc::bench {
namespace {

// The target file's own [skip]: globs over "scenario" or "scenario/case".
std::optional<Refusal> declared_skip(const Scenario& s, const Case& c, const Target& t) {
  const std::string with_case = s.name + "/" + c.name;
  for (const auto& [glob, reason] : t.skip) {
    if (fnmatch(glob.c_str(), s.name.c_str(), 0) == 0 || fnmatch(glob.c_str(), with_case.c_str(), 0) == 0) {
      return Refusal{RunStatus::Skipped, fmt::format("its target file skips \"{}\": {}", glob, reason)};
    }
  }
  return std::nullopt;
}

// What the case sends against what the target echoes ([capabilities] text, binary, fragments).
std::optional<Refusal> capability_skip(const Scenario& s, const Case& c, const Target& t) {
  if (t.raw_tcp || s.kind == ScenarioKind::Idle) return std::nullopt;  // idle sends no messages
  const bool text = c.load.text || c.load.json_text;
  if (text && !t.echoes_text) {
    return Refusal{RunStatus::Skipped, "echoes binary messages only (capabilities.text = false); this case sends text"};
  }
  if (!text && !t.echoes_binary) {
    return Refusal{RunStatus::Skipped, "echoes text messages only (capabilities.binary = false); this case sends binary"};
  }
  if (c.load.fragments > 1 && !t.reassembles_fragments) {
    return Refusal{RunStatus::Skipped,
                   fmt::format("does not reassemble fragmented messages (capabilities.fragments = false); this case "
                               "sends {} frames per message", c.load.fragments)};
  }
  return std::nullopt;
}

}  // namespace

// Whole-word match: "--deflate" must not be found inside "--deflate-level" alone.
bool help_lists_flag(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    const size_t end = at + flag.size();
    const bool starts = at == 0 || help[at - 1] == ' ' || help[at - 1] == ',' || help[at - 1] == '[' || help[at - 1] == '\n';
    const bool ends = end == help.size() || !(std::isalnum(static_cast<unsigned char>(help[end])) || help[end] == '-');
    if (starts && ends) return true;
  }
  return false;
}

std::optional<Refusal> CaseGate::check(const Scenario& s, const Case& c, const Target& t) {
  if (!t.available) return Refusal{RunStatus::Unavailable, t.reason};
  const Requirements& req = s.requires_;
  if (!req.target_kinds.empty() &&
      std::find(req.target_kinds.begin(), req.target_kinds.end(), to_string(t.kind)) == req.target_kinds.end()) {
    return Refusal{RunStatus::Skipped, fmt::format("scenario runs on {} targets only", fmt::join(req.target_kinds, "/"))};
  }
  if (t.raw_tcp && !req.raw) {
    return Refusal{RunStatus::Skipped, "raw TCP echo: this scenario needs WebSocket framing or handshakes"};
  }
  if (auto r = declared_skip(s, c, t)) return r;
  if (auto r = capability_skip(s, c, t)) return r;
  if (!req.server_flags.empty() || !c.server_args.empty()) {
    if (!t.takes_server_args) {
      return Refusal{RunStatus::Skipped, fmt::format("takes no server flags (needs {}){}", fmt::join(req.server_flags, " "),
                                                     t.external() ? ": not started by wsbench" : "")};
    }
    const std::string& help = help_text(t);
    for (const std::string& flag : req.server_flags) {
      if (help.find(flag) == std::string::npos) {
        return Refusal{RunStatus::Skipped,
                       fmt::format("server lacks this feature: its --help lists no {} ({})", flag,
                                   s.needs_note.empty() ? "see the scenario file" : s.needs_note)};
      }
    }
    // The case's own flags too: a peer takes some (--deflate) but not all of wsalloc-server's.
    for (const std::string& arg : c.server_args) {
      if (arg.rfind("--", 0) != 0) continue;  // a flag's value
      if (!help_lists_flag(help, arg)) {
        return Refusal{RunStatus::Skipped, fmt::format("server lacks this case's flag: its --help lists no {}", arg)};
      }
    }
  }
  for (const std::string& f : req.features) {
    if (f == "broadcast" && t.broadcast_path.empty()) {
      return Refusal{RunStatus::Skipped,
                     t.external() ? std::string("serves no broadcast path: a --target-url target serves its URL's path only")
                                  : fmt::format("serves no broadcast path ([serves] broadcast in {})",
                                                t.source.empty() ? "its target file" : t.source)};
    }
    const Probe& p = feature(t, f, f == "broadcast" ? t.broadcast_path : c.load.path);
    if (p.result != ProbeResult::Supported) {
      return Refusal{RunStatus::Skipped, fmt::format("{} probe {}: {}", f, to_string(p.result), p.detail)};
    }
  }
  return std::nullopt;
}

const std::string& CaseGate::help_text(const Target& t) {
  auto it = help_.find(t.name);
  if (it != help_.end()) return it->second;
  // The program and what comes before its first flag: `bun bun_echo.js --help` asks the script,
  // where `bun --help` would answer for the runtime.
  std::vector<std::string> cmd;
  for (const std::string& a : t.argv) {
    if (a.rfind("-", 0) == 0) break;
    cmd.push_back(a);
  }
  cmd.push_back("--help");
  auto [st, text] = run_capture(cmd, std::chrono::milliseconds(5000));
  return help_[t.name] = st.ok() ? text : std::string();
}

const Probe& CaseGate::feature(const Target& t, const std::string& f, const std::string& path) {
  auto key = std::make_pair(t.name, f + path);
  auto it = features_.find(key);
  if (it != features_.end()) return it->second;
  Probe p;
  LaunchSpec ls;
  ls.target = &t;
  ls.host = host_;
  ls.workdir = workdir_ / "probe";
  ls.file_tag = t.name + "-" + f;
  auto launched = launch_server(ls);
  if (auto* fail = std::get_if<LaunchFailure>(&launched)) {
    p = {ProbeResult::Failed, "server did not start: " + fail->reason};
  } else {
    RunningServer& srv = std::get<RunningServer>(launched);
    if (f == "broadcast") {
      p = probe_broadcast(host_, srv.port, path, std::chrono::milliseconds(1000));
    } else {
      p = {ProbeResult::Failed, "no probe for feature " + f};
    }
    stop_server(srv, std::chrono::milliseconds(3000));
  }
  return features_[key] = p;
}

}  // namespace wsalloc::bench
