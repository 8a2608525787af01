#include "bench/targets.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include <fmt/core.h>

#include "bench/child_process.hpp"
#include "bench/server_launch.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

const char* to_string(TargetKind k) noexcept {
  switch (k) {
    case TargetKind::Variant: return "variant";
    case TargetKind::Allocator: return "allocator";
    case TargetKind::Peer: return "peer";
    case TargetKind::Raw: return "raw";
  }
  return "?";
}

const char* to_string(CounterCoverage c) noexcept {
  switch (c) {
    case CounterCoverage::Full: return "full";
    case CounterCoverage::LibcOnly: return "libc-only";
    case CounterCoverage::Incompatible: return "incompatible";
  }
  return "?";
}

namespace {

bool executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p); }

void require_binary(Target& t, const fs::path& bin, const std::string& cmake_target) {
  if (!executable(bin)) {
    t.available = false;
    t.reason = fmt::format("{} not built ({} missing; build the CMake target {})", bin.filename().string(),
                           bin.string(), cmake_target);
  }
}

Target server_variant(const fs::path& bin_dir, const std::string& variant) {
  Target t;
  t.name = variant;
  t.kind = TargetKind::Variant;
  t.description = fmt::format("wsalloc-server --variant {}", variant);
  t.argv = {(bin_dir / "wsalloc-server").string(), "--variant", variant, "--host", "{host}", "--port", "{port}"};
  t.takes_server_args = true;
  t.serves_stats = true;
  require_binary(t, bin_dir / "wsalloc-server", "wsalloc-server");
  return t;
}

}  // namespace

std::vector<Target> discover_targets(const DiscoveryOptions& o) {
  std::vector<Target> out;
  const fs::path& bin = o.paths.bin_dir;

  for (const char* v : {"malloc", "arena", "pool", "zerocopy"}) out.push_back(server_variant(bin, v));

  struct Alloc {
    const char* name;
    const std::string* lib;
    const char* package;
  };
  for (const Alloc& a : {Alloc{"jemalloc", &o.jemalloc, "libjemalloc2"}, Alloc{"mimalloc", &o.mimalloc, "libmimalloc2.0"},
                         Alloc{"tcmalloc", &o.tcmalloc, "libtcmalloc-minimal4"}}) {
    Target t = server_variant(bin, "malloc");
    t.name = fmt::format("malloc+{}", a.name);
    t.kind = TargetKind::Allocator;
    t.description = fmt::format("wsalloc-server --variant malloc with {} preloaded", a.name);
    t.preload = {*a.lib};
    // The counter forwards to glibc's __libc_malloc: preloaded together with another allocator it
    // would quietly replace that allocator, so these targets are timed but never counted.
    t.counter = CounterCoverage::Incompatible;
    t.counter_note = fmt::format(
        "not counted: the counter forwards to glibc malloc and would bypass {}; the call counts are the "
        "malloc target's (same program)", a.name);
    if (t.available && !fs::exists(*a.lib)) {
      t.available = false;
      t.reason = fmt::format("{} missing (Debian package {})", *a.lib, a.package);
    }
    out.push_back(std::move(t));
  }

  {
    Target t;
    t.name = "beast";
    t.kind = TargetKind::Peer;
    t.description = "Boost.Beast async echo, one thread, one reused flat_buffer per session";
    t.argv = {(bin / "wsalloc-peer-beast").string(), "--host", "{host}", "--port", "{port}"};
    require_binary(t, bin / "wsalloc-peer-beast", "wsalloc-peer-beast");
    out.push_back(std::move(t));
  }
  {
    Target t;
    t.name = "websocketpp";
    t.kind = TargetKind::Peer;
    t.description = "websocketpp echo on the asio transport, one thread";
    t.argv = {(bin / "wsalloc-peer-websocketpp").string(), "--host", "{host}", "--port", "{port}"};
    require_binary(t, bin / "wsalloc-peer-websocketpp", "wsalloc-peer-websocketpp");
    out.push_back(std::move(t));
  }
  {
    Target t;
    t.name = "bun";
    t.kind = TargetKind::Peer;
    t.description = "Bun.serve WebSocket echo (uWebSockets inside)";
    const fs::path bun = o.paths.peers_dir / "node_modules" / ".bin" / "bun";
    const fs::path script = o.paths.repo_root / "harness" / "bench" / "peers" / "bun_echo.js";
    t.argv = {bun.string(), script.string(), "--host", "{host}", "--port", "{port}"};
    t.counter = CounterCoverage::LibcOnly;
    t.counter_note = "partial: Bun allocates in its built-in mimalloc and JS heap; only its glibc malloc calls are seen";
    if (!executable(bun)) {
      t.available = false;
      t.reason = fmt::format("not installed ({} missing): run scripts/install-peers.sh (npm package bun into .peers/)",
                             bun.string());
    } else if (!fs::exists(script)) {
      t.available = false;
      t.reason = fmt::format("{} missing", script.string());
    } else {
      auto [st, text] = run_capture({bun.string(), "--version"}, std::chrono::milliseconds(5000));
      if (!st.ok()) {
        t.available = false;
        t.reason = fmt::format("{} --version: {}", bun.string(), st.describe());
      } else {
        t.version = last_line(text);
        t.description += " " + t.version;
      }
    }
    out.push_back(std::move(t));
  }
  {
    Target t;
    t.name = "websocat";
    t.kind = TargetKind::Peer;
    t.description = "websocat -b ws-l:HOST:PORT mirror:";
    t.readiness = Readiness::ConnectPoll;
    auto path = find_on_path(o.websocat);
    t.argv = {path.value_or(o.websocat), "-b", "ws-l:{host}:{port}", "mirror:"};
    if (!path) {
      t.available = false;
      t.reason = fmt::format("{} not on PATH (no Debian or npm package provides it here; install it by hand to include it)",
                             o.websocat);
    }
    out.push_back(std::move(t));
  }
  {
    Target t;
    t.name = "rawecho";
    t.kind = TargetKind::Raw;
    t.description = "raw TCP echo, no WebSocket work: the machine's ceiling";
    t.argv = {(bin / "wsalloc-rawecho").string(), "--host", "{host}", "--port", "{port}"};
    t.raw_tcp = true;
    require_binary(t, bin / "wsalloc-rawecho", "wsalloc-rawecho");
    out.push_back(std::move(t));
  }
  return out;
}

void probe_startup(std::vector<Target>& targets, const std::string& workdir, std::chrono::milliseconds timeout) {
  for (Target& t : targets) {
    if (!t.available) continue;
    LaunchSpec spec;
    spec.target = &t;
    spec.workdir = fs::path(workdir) / "probe";
    spec.file_tag = t.name;
    spec.ready_timeout = timeout;
    auto launched = launch_server(spec);
    if (auto* f = std::get_if<LaunchFailure>(&launched)) {
      t.available = false;
      t.reason = "does not start: " + f->reason;
      continue;
    }
    stop_server(std::get<RunningServer>(launched), std::chrono::milliseconds(3000));
  }
}

bool target_selected(const Target& t, const std::string& globs) {
  if (globs.empty()) return true;
  std::stringstream ss(globs);
  std::string g;
  while (std::getline(ss, g, ',')) {
    if (!g.empty() && fnmatch(g.c_str(), t.name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> target_argv(const Target& t, const std::string& host, uint16_t port) {
  std::vector<std::string> out;
  for (std::string a : t.argv) {
    for (auto [ph, val] : {std::pair<std::string, std::string>{"{host}", host}, {"{port}", std::to_string(port)}}) {
      size_t pos;
      while ((pos = a.find(ph)) != std::string::npos) a.replace(pos, ph.size(), val);
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace wsalloc::bench
