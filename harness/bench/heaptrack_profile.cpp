#include "bench/heaptrack_profile.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "bench/bench_run.hpp"
#include "bench/child_process.hpp"
#include "bench/json_optional.hpp"
#include "bench/clock_text.hpp"
#include "bench/environment.hpp"
#include "bench/measure.hpp"
#include "bench/results_file.hpp"
#include "bench/scenario.hpp"
#include "bench/server_launch.hpp"
#include "bench/targets.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

namespace {

constexpr double kDefaultProfileSeconds = 5;
// heaptrack_interpret finishes the recording after the server exits; large recordings take a while.
constexpr auto kHeaptrackStopGrace = std::chrono::seconds(120);

nlohmann::json sites_json(const std::vector<AllocationSite>& sites, const char* count_name) {
  nlohmann::json a = nlohmann::json::array();
  for (const AllocationSite& s : sites) {
    nlohmann::json j = {{count_name, s.count}, {"function", s.function}, {"location", s.location}, {"module", s.module}};
    if (s.bytes > 0) j["peak_bytes"] = s.bytes;
    if (s.of_total > 0) j["allocations"] = s.of_total;
    a.push_back(j);
  }
  return a;
}

uint64_t to_u64(const std::string& s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

nlohmann::json HeaptrackSummary::to_json() const {
  return {{"allocation_calls", optional_json(allocation_calls)},
          {"temporary_allocations", optional_json(temporary_allocations)},
          {"peak_heap_bytes", optional_json(peak_heap_bytes)},
          {"peak_rss_bytes", optional_json(peak_rss_bytes)},
          {"leaked_bytes", optional_json(leaked_bytes)},
          {"runtime_s", optional_json(runtime_s)},
          {"debuggee", debuggee},
          {"top_calls", sites_json(top_calls, "calls")},
          {"top_peak", sites_json(top_peak, "calls")},
          {"top_temporary", sites_json(top_temporary, "temporary")}};
}

std::optional<double> parse_heaptrack_size(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  double v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr == s.data()) return std::nullopt;
  std::string_view unit(r.ptr, static_cast<size_t>(s.data() + s.size() - r.ptr));
  if (unit.empty() || unit == "B") return v;
  switch (unit.front()) {
    case 'K': return v * 1e3;
    case 'M': return v * 1e6;
    case 'G': return v * 1e9;
    case 'T': return v * 1e12;
    default: return std::nullopt;
  }
}

HeaptrackSummary parse_heaptrack_print(std::string_view text) {
  HeaptrackSummary out;
  std::vector<std::string> lines;
  {
    std::string t(text);
    std::istringstream in(t);
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  static const std::regex calls_re(R"(^(\d+) calls to allocation functions with (\S+) peak consumption from$)");
  static const std::regex peak_re(R"(^(\S+) peak memory consumed over (\d+) calls from$)");
  static const std::regex temp_re(R"(^(\d+) temporary allocations of (\d+) allocations in total \(.*\) from$)");
  static const std::regex total_calls_re(R"(^calls to allocation functions: (\d+))");
  static const std::regex total_temp_re(R"(^temporary memory allocations: (\d+))");
  static const std::regex peak_heap_re(R"(^peak heap memory consumption: (\S+))");
  static const std::regex peak_rss_re(R"(^peak RSS \(including heaptrack overhead\): (\S+))");
  static const std::regex leaked_re(R"(^total memory leaked: (\S+))");
  static const std::regex runtime_re(R"(^total runtime: ([0-9.]+)s)");

  // Reads the site lines after an entry header: function, then optional "  at" and "  in".
  auto read_site = [&](size_t& i, AllocationSite& site) {
    if (i + 1 < lines.size()) site.function = lines[++i];
    while (i + 1 < lines.size()) {
      const std::string& next = lines[i + 1];
      if (next.rfind("  at ", 0) == 0) {
        site.location = next.substr(5);
      } else if (next.rfind("  in ", 0) == 0) {
        site.module = next.substr(5);
      } else {
        break;
      }
      ++i;
    }
  };

  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    std::smatch m;
    if (l.rfind("Debuggee command was: ", 0) == 0) {
      out.debuggee = l.substr(22);
    } else if (std::regex_match(l, m, calls_re)) {
      AllocationSite s;
      s.count = to_u64(m[1]);
      s.bytes = parse_heaptrack_size(m[2].str()).value_or(0);
      read_site(i, s);
      out.top_calls.push_back(s);
    } else if (std::regex_match(l, m, peak_re)) {
      AllocationSite s;
      s.bytes = parse_heaptrack_size(m[1].str()).value_or(0);
      s.count = to_u64(m[2]);
      read_site(i, s);
      out.top_peak.push_back(s);
    } else if (std::regex_match(l, m, temp_re)) {
      AllocationSite s;
      s.count = to_u64(m[1]);
      s.of_total = to_u64(m[2]);
      read_site(i, s);
      out.top_temporary.push_back(s);
    } else if (std::regex_search(l, m, total_calls_re)) {
      out.allocation_calls = to_u64(m[1]);
    } else if (std::regex_search(l, m, total_temp_re)) {
      out.temporary_allocations = to_u64(m[1]);
    } else if (std::regex_search(l, m, peak_heap_re)) {
      out.peak_heap_bytes = parse_heaptrack_size(m[1].str());
    } else if (std::regex_search(l, m, peak_rss_re)) {
      out.peak_rss_bytes = parse_heaptrack_size(m[1].str());
    } else if (std::regex_search(l, m, leaked_re)) {
      out.leaked_bytes = parse_heaptrack_size(m[1].str());
    } else if (std::regex_search(l, m, runtime_re)) {
      out.runtime_s = std::stod(m[1].str());
    }
  }
  return out;
}

namespace {

// One profile, filled phase by phase: what is profiled, where its files and results go.
struct ProfileJob {
  Scenario scenario;
  const Case* kase = nullptr;
  std::vector<Target> targets;
  Target target;
  fs::path run_dir;
  nlohmann::json results;  // the run folder's results.json, to which the profile is added
  fs::path base;           // run_dir/profiles/<scenario>-<case>-<target>; heaptrack adds .zst
  LoadSpec load;
};

// What the profiled server and its load did.
struct ProfiledRun {
  std::string server_command;
  std::vector<std::string> load_argv;
  ExitStatus load_status;
  std::string load_out;  // wsload's JSON
};

// The scenario file and the case asked for (the first when none is named). Exit code on failure.
std::optional<int> resolve_case(const BenchPaths& paths, const ProfileOptions& o, ProfileJob& job) {
  try {
    const fs::path file = paths.scenarios_dir / (o.scenario + ".toml");
    if (!fs::exists(file)) {
      fmt::print(stderr, "wsbench profile: no scenario \"{}\" ({} missing)\n", o.scenario, file.string());
      return kExitUsage;
    }
    job.scenario = parse_scenario_file(file);
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "wsbench profile: {}\n", e.what());
    return kExitUsage;
  }
  for (const Case& c : job.scenario.cases) {
    if (o.case_name.empty() || c.name == o.case_name) {
      job.kase = &c;
      break;
    }
  }
  if (!job.kase) {
    fmt::print(stderr, "wsbench profile: scenario {} has no case \"{}\"\n", job.scenario.name, o.case_name);
    return kExitUsage;
  }
  if (job.kase->load.rate_fraction > 0) {
    fmt::print(stderr, "wsbench profile: case {} derives its rate from a capacity run; profile the capacity case\n", job.kase->name);
    return kExitUsage;
  }
  return std::nullopt;
}

// The target asked for, which must be available and started by wsbench (heaptrack starts it).
std::optional<int> resolve_target(const BenchPaths& paths, const ProfileOptions& o, ProfileJob& job) {
  DiscoveryOptions d;
  d.paths = paths;
  d.target_files = o.target_files;
  try {
    job.targets = discover_targets(d);
  } catch (const ConfigFileError& e) {
    fmt::print(stderr, "wsbench profile: {}\n", e.what());
    return kExitUsage;
  }
  auto it = std::find_if(job.targets.begin(), job.targets.end(), [&](const Target& t) { return t.name == o.target; });
  if (it == job.targets.end()) {
    fmt::print(stderr, "wsbench profile: no target \"{}\" (see wsbench list)\n", o.target);
    return kExitUsage;
  }
  job.target = *it;
  if (!job.target.available) {
    fmt::print(stderr, "wsbench profile: target {} unavailable: {}\n", job.target.name, job.target.reason);
    return kExitHarness;
  }
  if (job.target.external()) {
    fmt::print(stderr, "wsbench profile: target {} is not started by wsbench; heaptrack has to start the server\n", job.target.name);
    return kExitUsage;
  }
  return std::nullopt;
}

// Where to put it: the run folder given, else the latest run, else a new run folder (with a
// results.json of its own).
std::optional<int> open_run_folder(const BenchPaths& paths, const ProfileOptions& o, ProfileJob& job) {
  const fs::path root = o.out.value_or(paths.results_dir);
  std::error_code ec;
  if (o.into) {
    job.run_dir = *o.into;
  } else if (fs::exists(root / "latest" / "results.json", ec)) {
    job.run_dir = fs::canonical(root / "latest", ec);
  }
  if (!job.run_dir.empty() && fs::exists(job.run_dir / "results.json")) {
    std::ifstream in(job.run_dir / "results.json");
    job.results = nlohmann::json::parse(in, nullptr, false);
    if (job.results.is_discarded()) {
      fmt::print(stderr, "wsbench profile: {} is not valid JSON\n", (job.run_dir / "results.json").string());
      return kExitHarness;
    }
    return std::nullopt;
  }
  nlohmann::json meta = collect_meta(paths.repo_root);
  if (job.run_dir.empty()) job.run_dir = create_run_dir(root, meta["git"]["short"].get<std::string>(), meta["git"]["dirty"].get<bool>());
  fs::create_directories(job.run_dir);
  finish_meta(meta);
  ResultsContent c;
  c.meta = meta;
  c.settings = {{"command", "wsbench profile"}};
  c.targets = job.targets;
  c.scenarios = {&job.scenario};
  job.results = build_results_json(c);
  return std::nullopt;
}

// The server under heaptrack, the case's load against it, then the stop that makes heaptrack
// write its recording (<base>.zst).
std::optional<int> record_under_heaptrack(const BenchPaths& paths, const ProfileOptions& o, const ProfileJob& job,
                                          ProfiledRun& run) {
  const fs::path dir = job.base.parent_path();
  LaunchSpec ls;
  ls.target = &job.target;
  ls.extra_args = job.target.takes_server_args ? job.kase->server_args : std::vector<std::string>{};
  ls.cpu = o.pin ? 0 : -1;
  ls.wrapper = {"heaptrack", "-o", job.base.string()};
  ls.workdir = dir;
  ls.file_tag = job.base.filename().string() + ".server";
  ls.ready_timeout = std::chrono::milliseconds(60'000);
  fmt::print(stderr, "wsbench profile: {} on {}/{} under heaptrack for {:.1f} s\n", job.target.name, job.scenario.name,
             job.kase->name, job.load.warmup_s + job.load.duration_s);
  auto launched = launch_server(ls);
  if (auto* f = std::get_if<LaunchFailure>(&launched)) {
    fmt::print(stderr, "wsbench profile: server under heaptrack did not start: {}\n  {}\n", f->reason, f->command);
    return kExitHarness;
  }
  RunningServer& server = std::get<RunningServer>(launched);
  run.server_command = server.command;

  if (o.pin) run.load_argv = {"taskset", "-c", "1"};
  run.load_argv.push_back((paths.bin_dir / "wsload").string());
  for (std::string& a : wsload_args(load_for_target(job.load, job.scenario.kind, job.target), job.scenario.kind,
                                    job.target.raw_tcp, "127.0.0.1", server.port)) {
    run.load_argv.push_back(a);
  }
  const double bound_s = job.load.warmup_s + job.load.duration_s + 60;
  std::tie(run.load_status, run.load_out) =
      run_capture(run.load_argv, std::chrono::milliseconds(static_cast<long>(bound_s * 1000)));
  StopOutcome stop = stop_server(server, kHeaptrackStopGrace);
  const fs::path zst = job.base.string() + ".zst";
  if (!fs::exists(zst)) {
    fmt::print(stderr, "wsbench profile: heaptrack wrote no {} ({}; {})\n", zst.string(), stop.status.describe(),
               last_line(stop.stderr_tail));
    return kExitHarness;
  }
  return std::nullopt;
}

// results.json's profile entry: the commands, the load, and heaptrack's summary with its files.
nlohmann::json profile_entry(const ProfileJob& job, const ProfiledRun& run, const HeaptrackSummary& summary, double messages) {
  const fs::path zst = job.base.string() + ".zst";
  return {{"scenario", job.scenario.name},
          {"case", job.kase->name},
          {"target", job.target.name},
          {"date_utc", utc_iso(std::chrono::system_clock::now())},
          {"commands", {{"server", run.server_command}, {"load", format_command({}, run.load_argv)}}},
          {"load", load_to_json(job.load)},
          {"wsload_status", run.load_status.describe()},
          {"messages_sent", messages},
          // Whole process (start-up, connections, shutdown included), so an upper bound on the
          // steady-state figure the counting pass measures.
          {"allocation_calls_per_message_sent",
           summary.allocation_calls && messages > 0 ? nlohmann::json(static_cast<double>(*summary.allocation_calls) / messages)
                                                     : nlohmann::json(nullptr)},
          {"files", {{"recording", fs::relative(zst, job.run_dir).string()},
                     {"heaptrack_print", fs::relative(job.base.string() + ".txt", job.run_dir).string()},
                     {"flamegraph_stacks", fs::relative(job.base.string() + ".stacks.txt", job.run_dir).string()}}},
          {"summary", summary.to_json()}};
}

// Adds the entry to results["profiles"], replacing an earlier profile of the same case and target.
void replace_profile(nlohmann::json& results, const nlohmann::json& entry) {
  if (!results.contains("profiles") || !results["profiles"].is_array()) results["profiles"] = nlohmann::json::array();
  auto& profiles = results["profiles"];
  for (auto p = profiles.begin(); p != profiles.end();) {
    if ((*p)["scenario"] == entry["scenario"] && (*p)["case"] == entry["case"] && (*p)["target"] == entry["target"]) {
      p = profiles.erase(p);
    } else {
      ++p;
    }
  }
  profiles.push_back(entry);
}

void print_profile_summary(const ProfileJob& job, const HeaptrackSummary& summary, double messages) {
  auto show = [](std::optional<double> v) { return v ? fmt::format("{:.0f}", *v) : std::string("—"); };
  fmt::print("{} on {}/{}: {} allocation calls, {} temporary, peak heap {} B, leaked {} B ({} messages sent)\n",
             job.target.name, job.scenario.name, job.kase->name,
             summary.allocation_calls ? std::to_string(*summary.allocation_calls) : "—",
             summary.temporary_allocations ? std::to_string(*summary.temporary_allocations) : "—",
             show(summary.peak_heap_bytes), show(summary.leaked_bytes), messages);
  for (size_t i = 0; i < summary.top_calls.size() && i < 5; ++i) {
    const AllocationSite& s = summary.top_calls[i];
    fmt::print("  {:>10} calls  {}{}\n", s.count, s.function, s.location.empty() ? "" : "  (" + s.location + ")");
  }
  fmt::print("recording: {}\nresults:   {}\n", job.base.string() + ".zst", (job.run_dir / "results.json").string());
}

}  // namespace

// Phases: check the tools, resolve the case and the target, open the run folder, record under
// heaptrack, summarise with heaptrack_print, add the profile to results.json.
int profile_command(const BenchPaths& paths, const ProfileOptions& o) {
  if (!find_on_path("heaptrack") || !find_on_path("heaptrack_print")) {
    fmt::print(stderr, "wsbench profile: heaptrack or heaptrack_print not on PATH (Debian package heaptrack)\n");
    return kExitHarness;
  }
  ProfileJob job;
  if (auto rc = resolve_case(paths, o, job)) return *rc;
  if (auto rc = resolve_target(paths, o, job)) return *rc;
  if (auto rc = open_run_folder(paths, o, job)) return *rc;
  const fs::path dir = job.run_dir / "profiles";
  fs::create_directories(dir);
  job.base = dir / fmt::format("{}-{}-{}", job.scenario.name, job.kase->name, job.target.name);
  std::error_code ec;
  fs::remove(job.base.string() + ".zst", ec);
  job.load = job.kase->load;
  job.load.duration_s = o.duration_s.value_or(std::min(job.load.duration_s, kDefaultProfileSeconds));
  if (o.warmup_s) job.load.warmup_s = *o.warmup_s;

  ProfiledRun run;
  if (auto rc = record_under_heaptrack(paths, o, job, run)) return *rc;
  const std::string zst = job.base.string() + ".zst";
  auto [print_status, print_text] =
      run_capture({"heaptrack_print", "-f", zst, "-a", "1", "-p", "1", "-T", "1", "-n", std::to_string(o.top), "-s", "0", "-F",
                   job.base.string() + ".stacks.txt"},
                  std::chrono::milliseconds(300'000));
  std::ofstream(job.base.string() + ".txt") << print_text;
  if (!print_status.ok()) {
    fmt::print(stderr, "wsbench profile: heaptrack_print {}\n", print_status.describe());
    return kExitHarness;
  }
  HeaptrackSummary summary = parse_heaptrack_print(print_text);
  nlohmann::json wj = nlohmann::json::parse(run.load_out, nullptr, false);
  const double messages = !wj.is_discarded() && wj.contains("sent") && wj["sent"].is_number() ? wj["sent"].get<double>() : 0;
  replace_profile(job.results, profile_entry(job, run, summary, messages));
  write_json_atomic(job.run_dir / "results.json", job.results);
  print_profile_summary(job, summary, messages);
  return kExitOk;
}

}  // namespace wsalloc::bench
