#include "bench/scenario.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/toml_reader.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {

const char* to_string(ScenarioKind k) noexcept {
  switch (k) {
    case ScenarioKind::Echo: return "echo";
    case ScenarioKind::Churn: return "churn";
    case ScenarioKind::Idle: return "idle";
    case ScenarioKind::LatencyAtRate: return "latency-at-rate";
    case ScenarioKind::Broadcast: return "broadcast";
    case ScenarioKind::Executor: return "executor";
  }
  return "?";
}

namespace {

constexpr int64_t kMaxConnections = 100'000;  // wsload and the fd limit give out long before this
constexpr double kMaxSeconds = 3600;

constexpr const char* kLoadKeys =
    "connections, threads, pipeline, rate, rate_fraction, payload, weights, text, json_text, deflate, fragments, "
    "churn, path, duration, warmup";

// Applies the load keys present in `r` to `spec` (used by [load], [[case]] and [quick]).
void read_load_keys(TableReader& r, LoadSpec& spec) {
  if (auto v = r.integer("connections", 1, kMaxConnections)) spec.connections = static_cast<uint32_t>(*v);
  if (auto v = r.integer("threads", 1, 64)) spec.threads = static_cast<uint32_t>(*v);
  if (auto v = r.integer("pipeline", 1, 65536)) spec.pipeline = static_cast<uint32_t>(*v);
  if (auto v = r.number("rate", 0, 1e9)) spec.rate = *v;
  if (auto v = r.number("rate_fraction", 0, 1, true)) spec.rate_fraction = *v;
  if (auto v = r.size_list("payload")) spec.payload = *v;
  if (auto v = r.weight_list("weights")) spec.weights = *v;
  if (auto v = r.boolean("text")) spec.text = *v;
  if (auto v = r.boolean("json_text")) spec.json_text = *v;
  if (auto v = r.boolean("deflate")) spec.deflate = *v;
  if (auto v = r.integer("fragments", 1, 65536)) spec.fragments = static_cast<uint32_t>(*v);
  if (auto v = r.integer("churn", 0, 1'000'000)) spec.churn = static_cast<uint32_t>(*v);
  if (auto v = r.string("path")) {
    if (v->empty() || (*v)[0] != '/') r.fail("path", r.get("path"), fmt::format("\"{}\" must start with '/'", *v));
    spec.path = *v;
  }
  if (auto v = r.number("duration", 0, kMaxSeconds, true)) spec.duration_s = *v;
  if (auto v = r.number("warmup", 0, kMaxSeconds)) spec.warmup_s = *v;
}

ScenarioKind parse_kind(TableReader& r) {
  auto k = r.string("kind");
  if (!k) r.fail("kind", nullptr, "missing (one of echo, churn, idle, latency-at-rate, broadcast, executor)");
  for (ScenarioKind c : {ScenarioKind::Echo, ScenarioKind::Churn, ScenarioKind::Idle, ScenarioKind::LatencyAtRate,
                         ScenarioKind::Broadcast, ScenarioKind::Executor}) {
    if (*k == to_string(c)) return c;
  }
  r.fail("kind", r.get("kind"),
         fmt::format("\"{}\" is not one of echo, churn, idle, latency-at-rate, broadcast, executor", *k));
}

bool valid_case_name(const std::string& n) {
  return !n.empty() && n.size() <= 40 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// Rules a case's load must satisfy for its scenario kind. Errors name the key that breaks the
// rule: "load.churn" for the shared [load], "case.churn" inside a [[case]]; `at` gives the line.
void check_case(const Scenario& s, const Case& c, const toml::node* at, uint32_t fallback_line) {
  const LoadSpec& l = c.load;
  const std::string prefix = c.name == "default" ? "load." : "case.";
  auto fail = [&](const char* key, const std::string& msg) {
    throw ScenarioError(s.file, at ? line_of(at) : fallback_line, prefix + key,
                        c.name == "default" ? msg : fmt::format("case '{}': {}", c.name, msg));
  };
  if (l.rate > 0 && l.pipeline > 1) fail("pipeline", fmt::format("rate (open loop) and pipeline {} (closed loop) exclude each other", l.pipeline));
  switch (s.kind) {
    case ScenarioKind::Idle:
      if (l.rate > 0 || l.pipeline > 1 || l.churn > 0) fail("rate", "kind idle sends no messages: drop rate/pipeline/churn");
      break;
    case ScenarioKind::Churn:
      if (l.churn == 0) fail("churn", "kind churn needs churn = K > 0 (messages per connection)");
      break;
    case ScenarioKind::LatencyAtRate:
      if (c.name != "capacity" && l.rate_fraction <= 0) fail("rate_fraction", "kind latency-at-rate needs rate_fraction in (0, 1] on every case");
      if (l.rate > 0) fail("rate", "kind latency-at-rate derives the rate; use rate_fraction, not rate");
      break;
    case ScenarioKind::Executor:
      if (c.server_args.empty()) fail("server_args", "kind executor needs server_args (the handler and executor flags)");
      break;
    default:
      break;
  }
  if (s.kind != ScenarioKind::LatencyAtRate && l.rate_fraction > 0) fail("rate_fraction", "only for kind latency-at-rate");
  if (s.kind != ScenarioKind::Churn && l.churn > 0) fail("churn", "only for kind churn");
}

// [requires]: who can run the scenario's cases; every value checked against what exists.
Requirements read_requires(const toml::table& t, const fs::path& file) {
  Requirements req;
  TableReader r(t, "requires", file);
  if (auto v = r.boolean("raw")) req.raw = *v;
  if (auto v = r.strings("features")) {
    for (const std::string& f : *v) {
      if (f != "broadcast") r.fail("features", r.get("features"), fmt::format("unknown feature \"{}\" (known: broadcast)", f));
    }
    req.features = *v;
  }
  if (auto v = r.strings("server_flags")) {
    for (const std::string& f : *v) {
      if (f.rfind("--", 0) != 0) r.fail("server_flags", r.get("server_flags"), fmt::format("\"{}\" is not a --flag", f));
    }
    req.server_flags = *v;
  }
  if (auto v = r.strings("targets")) {
    static const std::set<std::string> kKinds = {"variant", "allocator", "peer", "raw", "user", "external"};
    for (const std::string& k : *v) {
      if (!kKinds.count(k)) {
        r.fail("targets", r.get("targets"), fmt::format("unknown target kind \"{}\" (variant, allocator, peer, raw, user, external)", k));
      }
    }
    req.target_kinds = *v;
  }
  r.reject_unknown("raw, features, server_flags, targets");
  return req;
}

// [quick]: overrides of load keys, plus repetitions and a case subset (returned, checked later
// against the cases).
std::optional<std::vector<std::string>> read_quick(const toml::table& quick_table, const fs::path& file, QuickSpec& quick) {
  quick.included = true;
  TableReader r(quick_table, "quick", file);
  if (auto v = r.boolean("include")) quick.included = *v;
  if (auto v = r.integer("repetitions", 1, 100)) quick.repetitions = static_cast<uint32_t>(*v);
  auto quick_cases = r.strings("cases");
  // Validate the load keys now (so the line is right); they are re-applied per case (make_case).
  LoadSpec quick_over;  // only used to detect which keys [quick] sets
  read_load_keys(r, quick_over);
  r.reject_unknown(std::string(kLoadKeys) + ", include, repetitions, cases");
  return quick_cases;
}

// A case with its load, and the same load under the [quick] overrides.
Case make_case(std::string name, const LoadSpec& load, std::vector<std::string> server_args, const toml::table* quick_table,
               const fs::path& file) {
  Case c;
  c.name = std::move(name);
  c.load = load;
  c.server_args = std::move(server_args);
  c.quick_load = c.load;
  if (quick_table) {
    TableReader r(*quick_table, "quick", file);
    read_load_keys(r, c.quick_load);
  }
  return c;
}

// The [[case]] tables (or the one "default" case), each on top of the scenario's [load].
void read_cases(TableReader& top, const toml::table& root, const fs::path& file, const LoadSpec& base,
                const toml::table* quick_table, Scenario& s) {
  if (s.kind == ScenarioKind::LatencyAtRate) {
    LoadSpec cap = base;
    cap.rate_fraction = 0;
    s.cases.push_back(make_case("capacity", cap, {}, quick_table, file));
  }
  if (const toml::array* cases = top.table_array("case")) {
    std::set<std::string> names;
    for (const toml::node& n : *cases) {
      const toml::table& t = *n.as_table();
      TableReader r(t, "case", file);
      auto name = r.string("name");
      if (!name) r.fail("name", &n, "every [[case]] needs a name");
      if (!valid_case_name(*name)) r.fail("name", r.get("name"), fmt::format("\"{}\" must be 1-40 of A-Z a-z 0-9 - _ .", *name));
      if (!names.insert(*name).second || *name == "capacity" || *name == "default") {
        r.fail("name", r.get("name"), fmt::format("\"{}\" is reserved or used twice", *name));
      }
      LoadSpec load = base;
      read_load_keys(r, load);
      std::vector<std::string> args;
      if (auto v = r.strings("server_args")) args = *v;
      r.reject_unknown(std::string(kLoadKeys) + ", name, server_args");
      Case c = make_case(*name, load, std::move(args), quick_table, file);
      check_case(s, c, &n, 0);
      s.cases.push_back(std::move(c));
    }
  } else if (s.kind != ScenarioKind::LatencyAtRate) {
    Case c = make_case("default", base, {}, quick_table, file);
    check_case(s, c, root.get("load"), 1);
    s.cases.push_back(std::move(c));
  } else {
    top.fail("case", nullptr, "kind latency-at-rate needs [[case]] tables with rate_fraction");
  }
}

// Which cases are in the --quick set: all when [quick] names none, else the named ones (and the
// capacity case they need). A name that is no case is an error on [quick]'s line.
void mark_quick_cases(const std::optional<std::vector<std::string>>& quick_cases, const toml::table* quick_table,
                      const fs::path& file, Scenario& s) {
  for (Case& c : s.cases) c.quick = s.quick.included;
  if (!quick_cases) return;
  for (const std::string& q : *quick_cases) {
    auto it = std::find_if(s.cases.begin(), s.cases.end(), [&](const Case& c) { return c.name == q; });
    if (it == s.cases.end()) {
      TableReader r(*quick_table, "quick", file);
      r.fail("cases", quick_table->get("cases"), fmt::format("no case named \"{}\"", q));
    }
  }
  for (Case& c : s.cases) {
    c.quick = s.quick.included && (c.name == "capacity" ||
                                   std::find(quick_cases->begin(), quick_cases->end(), c.name) != quick_cases->end());
  }
}

// Phases in the file's order of checking, so the first error reported stays the same: the top
// keys, [load], [requires], [quick], the cases, unknown top keys, the quick set.
Scenario parse_table(const toml::table& root, const fs::path& file) {
  Scenario s;
  s.file = file;
  s.name = file.stem().string();
  TableReader top(root, "", file);
  auto desc = top.string("description");
  if (!desc || desc->empty()) top.fail("description", top.get("description"), "missing (one line saying what the scenario measures)");
  s.description = *desc;
  s.kind = parse_kind(top);
  if (auto n = top.string("needs")) s.needs_note = *n;
  if (auto n = top.string("capacity_from")) {
    if (s.kind != ScenarioKind::LatencyAtRate) top.fail("capacity_from", top.get("capacity_from"), "only for kind latency-at-rate");
    s.capacity_from = *n;
  }

  LoadSpec base;
  if (s.kind == ScenarioKind::Broadcast) base.path = "/broadcast";
  if (const toml::table* t = top.table("load")) {
    TableReader r(*t, "load", file);
    read_load_keys(r, base);
    r.reject_unknown(kLoadKeys);
  }
  if (const toml::table* t = top.table("requires")) s.requires_ = read_requires(*t, file);
  if (s.kind == ScenarioKind::Broadcast &&
      std::find(s.requires_.features.begin(), s.requires_.features.end(), "broadcast") == s.requires_.features.end()) {
    s.requires_.features.push_back("broadcast");
  }

  const toml::table* quick_table = top.table("quick");
  std::optional<std::vector<std::string>> quick_cases;
  if (quick_table) quick_cases = read_quick(*quick_table, file, s.quick);
  read_cases(top, root, file, base, quick_table, s);
  top.reject_unknown("description, kind, needs, capacity_from, load, requires, quick, case");
  mark_quick_cases(quick_cases, quick_table, file, s);
  return s;
}

}  // namespace

bool same_load_shape(const LoadSpec& a, const LoadSpec& b) noexcept {
  return a.connections == b.connections && a.threads == b.threads && a.pipeline == b.pipeline &&
         a.payload == b.payload && a.weights == b.weights && a.text == b.text && a.fragments == b.fragments &&
         a.churn == b.churn && a.path == b.path;
}

Scenario parse_scenario_text(std::string_view text, const fs::path& file) {
  return parse_table(parse_toml_text(text, file), file);
}

Scenario parse_scenario_file(const fs::path& file) { return parse_scenario_text(read_config_text(file), file); }

std::vector<Scenario> load_scenarios(const fs::path& dir, std::vector<std::string>* errors) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  }
  if (ec) throw ScenarioError(dir, 0, "(directory)", "cannot list the scenario directory: " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  for (const fs::path& f : files) {
    try {
      out.push_back(parse_scenario_file(f));
    } catch (const ScenarioError& e) {
      if (!errors) throw;
      errors->push_back(e.what());
    }
  }
  return out;
}

bool scenario_selected(const Scenario& s, const std::string& globs) {
  if (globs.empty()) return true;
  std::stringstream ss(globs);
  std::string g;
  while (std::getline(ss, g, ',')) {
    if (!g.empty() && fnmatch(g.c_str(), s.name.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace wsalloc::bench
