#include "bench/targets.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/core.h>

#include "bench/placeholders.hpp"
#include "bench/probe_client.hpp"
#include "bench/server_launch.hpp"
#include "bench/target_availability.hpp"
#include "bench/target_file.hpp"
#include "bench/target_url.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

const char* to_string(TargetKind k) noexcept {
  switch (k) {
    case TargetKind::Variant: return "variant";
    case TargetKind::Allocator: return "allocator";
    case TargetKind::Peer: return "peer";
    case TargetKind::Raw: return "raw";
    case TargetKind::User: return "user";
    case TargetKind::External: return "external";
  }
  return "?";
}

const char* to_string(CounterCoverage c) noexcept {
  switch (c) {
    case CounterCoverage::Full: return "full";
    case CounterCoverage::LibcOnly: return "libc-only";
    case CounterCoverage::Incompatible: return "incompatible";
    case CounterCoverage::Invisible: return "invisible";
    case CounterCoverage::NotStarted: return "not-started";
  }
  return "?";
}

namespace {

// Parses each file, collecting or rethrowing its error; a name defined twice is an error at the
// second definition (two targets with one name would mix their records).
void add_files(const std::vector<fs::path>& files, const BenchPaths& paths, std::vector<TargetDefinition>& defs,
               std::map<std::string, std::string>& defined_in, std::vector<std::string>* errors) {
  for (const fs::path& f : files) {
    try {
      std::vector<TargetDefinition> parsed = parse_target_file(f, paths);
      for (const TargetDefinition& d : parsed) {
        auto [it, fresh] = defined_in.emplace(d.target.name, f.string());
        if (!fresh) {
          throw ConfigFileError(f, d.name_line, "name", fmt::format("target \"{}\" is already defined by {}", d.target.name, it->second));
        }
      }
      // Stable: files in the order given, variants in file order; `order` sorts them later.
      for (TargetDefinition& d : parsed) defs.push_back(std::move(d));
    } catch (const ConfigFileError& e) {
      if (!errors) throw;
      errors->push_back(e.what());
    }
  }
}

}  // namespace

std::vector<Target> discover_targets(const DiscoveryOptions& o, std::vector<std::string>* errors) {
  std::vector<fs::path> builtin;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o.paths.targets_dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") builtin.push_back(e.path());
  }
  if (ec) {
    ConfigFileError err(o.paths.targets_dir, 0, "(directory)", "cannot list the target directory: " + ec.message());
    if (!errors) throw err;
    errors->push_back(err.what());
  }
  std::sort(builtin.begin(), builtin.end());

  std::vector<TargetDefinition> defs;
  std::map<std::string, std::string> defined_in;
  add_files(builtin, o.paths, defs, defined_in, errors);
  const size_t builtin_count = defs.size();
  std::vector<fs::path> user(o.target_files.begin(), o.target_files.end());
  add_files(user, o.paths, defs, defined_in, errors);
  for (size_t i = builtin_count; i < defs.size(); ++i) defs[i].target.given = true;
  // Built-in files sort among themselves by `order`; yours come after them, in the order given.
  std::stable_sort(defs.begin(), defs.begin() + static_cast<std::ptrdiff_t>(builtin_count),
                   [](const TargetDefinition& a, const TargetDefinition& b) { return a.order < b.order; });

  std::vector<Target> out;
  for (TargetDefinition& d : defs) {
    check_availability(d);
    out.push_back(std::move(d.target));
  }
  for (const std::string& url : o.target_urls) {
    try {
      Target t = target_from_url(url);
      t.given = true;
      auto [it, fresh] = defined_in.emplace(t.name, "--target-url");
      if (!fresh) {
        throw std::invalid_argument(fmt::format("--target-url {}: target \"{}\" is already defined by {} (name it: NAME=ws://...)",
                                                url, t.name, it->second));
      }
      out.push_back(std::move(t));
    } catch (const std::invalid_argument& e) {
      if (!errors) throw;
      errors->push_back(e.what());
    }
  }
  return out;
}

void probe_startup(std::vector<Target>& targets, const std::string& workdir) {
  for (Target& t : targets) {
    if (!t.available) continue;
    if (t.external()) {
      if (!tcp_connectable(t.url_host, t.url_port, std::chrono::milliseconds(2000))) {
        t.available = false;
        t.reason = fmt::format("{} does not accept connections on {}:{}", t.url, t.url_host, t.url_port);
      }
      continue;
    }
    LaunchSpec spec;
    spec.target = &t;
    spec.workdir = fs::path(workdir) / "probe";
    spec.file_tag = t.name;
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
  bool any_include = false, included = false;
  while (std::getline(ss, g, ',')) {
    if (g.empty()) continue;
    if (g[0] == '!') {
      if (fnmatch(g.c_str() + 1, t.name.c_str(), 0) == 0) return false;  // an exclusion wins
    } else {
      any_include = true;
      included = included || fnmatch(g.c_str(), t.name.c_str(), 0) == 0;
    }
  }
  return included || !any_include;  // only exclusions: everything else is selected
}

namespace {

PlaceholderValues start_values(const StartValues& v) {
  return {{"host", v.host}, {"port", std::to_string(v.port)}, {"cpu", v.cpu}};
}

}  // namespace

std::vector<std::string> target_argv(const Target& t, const StartValues& v) {
  const PlaceholderValues values = start_values(v);
  std::vector<std::string> out;
  for (const std::string& a : t.argv) out.push_back(expand_placeholders(a, values, {}, true));
  return out;
}

std::vector<std::pair<std::string, std::string>> target_env(const Target& t, const StartValues& v) {
  const PlaceholderValues values = start_values(v);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, val] : t.env) out.emplace_back(k, expand_placeholders(val, values, {}, true));
  return out;
}

LoadSpec load_for_target(const LoadSpec& load, ScenarioKind kind, const Target& t) {
  LoadSpec l = load;
  if (kind == ScenarioKind::Broadcast) {
    if (!t.broadcast_path.empty()) l.path = t.broadcast_path;
  } else if (l.path == "/") {
    l.path = t.echo_path;
  }
  return l;
}

}  // namespace wsalloc::bench
