#include "bench/target_file.hpp"

#include <signal.h>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/core.h>

#include "bench/placeholders.hpp"
#include "bench/toml_reader.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {
namespace {

constexpr const char* kTopKeys =
    "description, kind, name, order, command, version_args, env, requires, ready, stop, serves, capabilities, skip, "
    "allocations, variant";
constexpr const char* kVariantKeys = "name, kind, description, vars, args, env, requires, allocations";
constexpr double kMaxReadySeconds = 600;
constexpr double kMaxGraceSeconds = 600;

// A string from the file with the node it came from, so an error found later (a placeholder that
// a variant does not define) still names the right line and key.
struct Located {
  std::string text;
  const toml::node* at = nullptr;
  std::string key;
};

// The file's targets before placeholders are filled: the shared part, then one copy per variant.
struct Draft {
  std::string name;
  const toml::node* name_at = nullptr;
  TargetKind kind = TargetKind::User;
  Located description;
  std::vector<Located> command;
  std::vector<Located> version_args;
  std::vector<std::pair<std::string, Located>> env;
  std::string program_hint;
  std::vector<std::pair<Located, std::string>> files;
  PlaceholderValues vars;
  Target proto;  // ready, stop, serves, capabilities, skip, allocations
  bool counter_declared = false;
};

// "targets/beast.toml" rather than an absolute path when the file is in the repository: results
// and skip reasons then read the same on every machine.
std::string shown_path(const fs::path& file, const fs::path& repo) {
  std::error_code ec;
  const fs::path rel = fs::relative(fs::absolute(file), fs::absolute(repo), ec);
  if (ec || rel.empty() || *rel.begin() == "..") return file.string();
  return rel.string();
}

bool valid_target_name(const std::string& n) {
  return !n.empty() && n.size() <= 40 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+';
  });
}

bool valid_identifier(const std::string& n) {
  return !n.empty() && (std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_') &&
         std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

const std::set<std::string>& load_time_names() {
  static const std::set<std::string> k = {"bin", "repo", "peers", "dir"};
  return k;
}

TargetKind read_kind(TableReader& r) {
  auto k = r.string("kind");
  if (!k) return TargetKind::User;
  for (TargetKind c : {TargetKind::Variant, TargetKind::Allocator, TargetKind::Peer, TargetKind::Raw, TargetKind::User}) {
    if (*k == to_string(c)) return c;
  }
  r.fail("kind", r.get("kind"), fmt::format("\"{}\" is not one of variant, allocator, peer, raw, user", *k));
}

std::vector<Located> read_located_strings(TableReader& r, std::string_view key, bool required_nonempty) {
  const toml::node* n = r.get(key);
  std::vector<Located> out;
  if (!n) {
    if (required_nonempty) r.fail(key, nullptr, "missing (the program and its arguments, e.g. [\"{bin}/my-server\", \"--port\", \"{port}\"])");
    return out;
  }
  auto values = r.strings(key);
  if (required_nonempty && values->empty()) r.fail(key, n, "expected at least the program");
  const toml::array& a = *n->as_array();
  for (size_t i = 0; i < values->size(); ++i) out.push_back({(*values)[i], a.get(i), r.full(key)});
  return out;
}

void read_env(TableReader& parent, Draft& d) {
  const toml::table* t = parent.table("env");
  if (!t) return;
  for (const auto& [k, v] : *t) {
    const std::string name(k.str());
    if (!valid_identifier(name)) parent.fail("env", &v, fmt::format("\"{}\" is not an environment variable name", name));
    auto value = v.value_exact<std::string>();
    if (!value) parent.fail("env." + name, &v, fmt::format("expected a string, got {}", type_name(v)));
    auto it = std::find_if(d.env.begin(), d.env.end(), [&](const auto& e) { return e.first == name; });
    Located l{*value, &v, parent.full("env." + name)};
    if (it != d.env.end()) it->second = l;
    else d.env.emplace_back(name, l);
  }
}

void read_requires(TableReader& parent, Draft& d, const fs::path& file) {
  const toml::table* t = parent.table("requires");
  if (!t) return;
  TableReader r(*t, parent.full("requires"), file);
  if (auto v = r.string("program")) d.program_hint = *v;
  if (const toml::array* files = r.table_array("files")) {
    for (const toml::node& n : *files) {
      TableReader f(*n.as_table(), r.full("files"), file);
      auto path = f.string("path");
      if (!path || path->empty()) f.fail("path", &n, "every entry needs path = \"...\" (a file that must exist)");
      auto hint = f.string("hint");
      f.reject_unknown("path, hint");
      d.files.emplace_back(Located{*path, f.get("path"), f.full("path")}, hint.value_or(""));
    }
  }
  r.reject_unknown("program, files");
}

void read_allocations(TableReader& parent, Draft& d, const fs::path& file) {
  const toml::table* t = parent.table("allocations");
  if (!t) return;
  TableReader r(*t, parent.full("allocations"), file);
  if (auto c = r.string("counter")) {
    bool known = false;
    for (CounterCoverage k : {CounterCoverage::Full, CounterCoverage::LibcOnly, CounterCoverage::Incompatible,
                              CounterCoverage::Invisible}) {
      if (*c == to_string(k)) {
        d.proto.counter = k;
        known = true;
      }
    }
    if (!known) r.fail("counter", r.get("counter"), fmt::format("\"{}\" is not one of full, libc-only, incompatible, invisible", *c));
    d.counter_declared = true;
    d.proto.counter_note.clear();  // a variant that changes the counter says why anew
  }
  if (auto n = r.string("note")) d.proto.counter_note = *n;
  if (d.proto.counter != CounterCoverage::Full && d.proto.counter_note.empty()) {
    r.fail("note", nullptr, fmt::format("counter = \"{}\" needs a note saying why (shown beside its results)", to_string(d.proto.counter)));
  }
  r.reject_unknown("counter, note");
}

void read_ready(TableReader& top, Target& t, const fs::path& file) {
  const toml::table* tbl = top.table("ready");
  if (!tbl) top.fail("ready", nullptr, "missing: how wsbench sees that the server is ready, [ready] line = \"REGEX\" or port = true");
  TableReader r(*tbl, "ready", file);
  auto line = r.string("line");
  auto port = r.boolean("port");
  if (port && !*port) r.fail("port", r.get("port"), "only port = true means something (or leave it out and give line)");
  if (line.has_value() == port.has_value()) {
    r.fail(line ? "port" : "line", line ? r.get("port") : nullptr,
           "give exactly one of line = \"REGEX\" (a line it prints when ready) or port = true");
  }
  if (line) {
    if (line->empty()) r.fail("line", r.get("line"), "an empty pattern matches before the server is ready");
    try {
      std::regex re(*line);
      t.ready.port_group = re.mark_count() >= 1;
    } catch (const std::regex_error& e) {
      r.fail("line", r.get("line"), fmt::format("not a regular expression (ECMAScript): {}", e.what()));
    }
    t.ready.by = ReadyBy::Line;
    t.ready.pattern = *line;
  } else {
    t.ready.by = ReadyBy::Port;
    t.ready.pattern.clear();
    t.ready.port_group = false;
  }
  if (auto s = r.string("stream")) {
    if (*s != "stdout" && *s != "stderr") r.fail("stream", r.get("stream"), fmt::format("\"{}\" is not stdout or stderr", *s));
    if (!line) r.fail("stream", r.get("stream"), "only with line = \"REGEX\"");
    t.ready.on_stderr = *s == "stderr";
  }
  if (auto s = r.number("timeout", 0.1, kMaxReadySeconds)) t.ready.timeout = std::chrono::milliseconds(static_cast<long>(*s * 1000));
  r.reject_unknown("line, port, stream, timeout");
}

void read_stop(TableReader& top, Target& t, const fs::path& file) {
  const toml::table* tbl = top.table("stop");
  if (!tbl) return;
  TableReader r(*tbl, "stop", file);
  if (auto s = r.string("signal")) {
    static const std::pair<const char*, int> kSignals[] = {{"SIGTERM", SIGTERM}, {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},
                                                          {"SIGHUP", SIGHUP},   {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2},
                                                          {"SIGKILL", SIGKILL}};
    auto it = std::find_if(std::begin(kSignals), std::end(kSignals), [&](const auto& p) { return *s == p.first; });
    if (it == std::end(kSignals)) {
      r.fail("signal", r.get("signal"), fmt::format("\"{}\" is not one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL", *s));
    }
    t.stop_signal = it->second;
  }
  if (auto g = r.number("grace", 0, kMaxGraceSeconds)) t.stop_grace = std::chrono::milliseconds(static_cast<long>(*g * 1000));
  r.reject_unknown("signal, grace");
}

void read_serves(TableReader& top, Target& t, const fs::path& file) {
  const toml::table* tbl = top.table("serves");
  if (!tbl) return;
  TableReader r(*tbl, "serves", file);
  auto path = [&](const char* key, std::string& into) {
    if (auto v = r.string(key)) {
      if (v->empty() || (*v)[0] != '/') r.fail(key, r.get(key), fmt::format("\"{}\" must start with '/'", *v));
      into = *v;
    }
  };
  path("echo", t.echo_path);
  path("broadcast", t.broadcast_path);
  if (auto v = r.boolean("raw_tcp")) t.raw_tcp = *v;
  r.reject_unknown("echo, broadcast, raw_tcp");
}

void read_capabilities(TableReader& top, Target& t, const fs::path& file) {
  const toml::table* tbl = top.table("capabilities");
  if (!tbl) return;
  TableReader r(*tbl, "capabilities", file);
  if (auto v = r.boolean("server_args")) t.takes_server_args = *v;
  if (auto v = r.boolean("stats")) t.serves_stats = *v;
  if (auto v = r.boolean("text")) t.echoes_text = *v;
  if (auto v = r.boolean("binary")) t.echoes_binary = *v;
  if (auto v = r.boolean("fragments")) t.reassembles_fragments = *v;
  if (!t.echoes_text && !t.echoes_binary) r.fail("text", r.get("text"), "text and binary both false: nothing left to measure");
  r.reject_unknown("server_args, stats, text, binary, fragments");
}

void read_skip(TableReader& top, Target& t) {
  const toml::table* tbl = top.table("skip");
  if (!tbl) return;
  for (const auto& [k, v] : *tbl) {
    const std::string glob(k.str());
    auto reason = v.value_exact<std::string>();
    if (!reason || reason->empty()) {
      top.fail("skip." + glob, &v, "expected the reason as a string, e.g. \"idle-*\" = \"opens at most 1,024 connections\"");
    }
    t.skip.emplace_back(glob, *reason);
  }
}

// A [[variant]] table on top of the shared draft.
Draft apply_variant(const Draft& base, const toml::node& n, const fs::path& file, std::set<std::string>& names) {
  Draft d = base;
  TableReader r(*n.as_table(), "variant", file);
  auto name = r.string("name");
  if (!name) r.fail("name", &n, "every [[variant]] needs a name (the target's name)");
  if (!valid_target_name(*name)) r.fail("name", r.get("name"), fmt::format("\"{}\" must be 1-40 of A-Z a-z 0-9 - _ . +", *name));
  if (!names.insert(*name).second) r.fail("name", r.get("name"), fmt::format("\"{}\" is used twice in this file", *name));
  d.name = *name;
  d.name_at = r.get("name");
  if (r.get("kind")) d.kind = read_kind(r);
  if (r.get("description")) d.description = {*r.string("description"), r.get("description"), r.full("description")};
  if (const toml::table* vars = r.table("vars")) {
    for (const auto& [k, v] : *vars) {
      const std::string var(k.str());
      if (!valid_identifier(var) || load_time_names().count(var) || start_time_placeholders().count(var)) {
        r.fail("vars", &v, fmt::format("\"{}\" cannot be a placeholder name (identifiers only, not host, port, cpu, bin, repo, peers, dir)", var));
      }
      auto value = v.value_exact<std::string>();
      if (!value) r.fail("vars." + var, &v, fmt::format("expected a string, got {}", type_name(v)));
      d.vars[var] = *value;
    }
  }
  for (Located& a : read_located_strings(r, "args", false)) d.command.push_back(std::move(a));
  read_env(r, d);
  read_requires(r, d, file);
  read_allocations(r, d, file);
  r.reject_unknown(kVariantKeys);
  return d;
}

std::string fill(const Located& s, const PlaceholderValues& values, const std::set<std::string>& keep, bool final,
                 const fs::path& file) {
  try {
    return expand_placeholders(s.text, values, keep, final);
  } catch (const PlaceholderError& e) {
    throw TargetFileError(file, line_of(s.at), s.key, e.what());
  }
}

// Placeholders filled, LD_PRELOAD split out, the port rule checked: the finished definition.
TargetDefinition finish(const Draft& d, const fs::path& file, const BenchPaths& paths, const toml::table& root) {
  PlaceholderValues values = d.vars;
  values["bin"] = paths.bin_dir.string();
  values["repo"] = paths.repo_root.string();
  values["peers"] = paths.peers_dir.string();
  values["dir"] = fs::absolute(file).parent_path().string();
  const std::set<std::string>& runtime = start_time_placeholders();

  TargetDefinition def;
  Target& t = def.target;
  t = d.proto;
  t.name = d.name;
  t.kind = d.kind;
  t.source = shown_path(file, paths.repo_root);
  t.description = fill(d.description, values, {}, true, file);
  for (const Located& a : d.command) t.argv.push_back(fill(a, values, runtime, false, file));
  for (const Located& a : d.version_args) def.version_args.push_back(fill(a, values, {}, true, file));
  for (const auto& [name, value] : d.env) {
    if (name == "LD_PRELOAD") {
      const std::string list = fill(value, values, {}, true, file);
      size_t i = 0;
      while (i < list.size()) {
        const size_t end = list.find_first_of(": ", i);
        std::string entry = list.substr(i, end == std::string::npos ? std::string::npos : end - i);
        if (!entry.empty()) t.preload.push_back(entry);
        if (end == std::string::npos) break;
        i = end + 1;
      }
    } else {
      t.env.emplace_back(name, fill(value, values, runtime, false, file));
    }
  }
  def.program_hint = d.program_hint;
  for (const auto& [path, hint] : d.files) def.required_files.emplace_back(fill(path, values, {}, true, file), hint);
  def.counter_declared = d.counter_declared;

  // wsbench must know the port: read from the ready line, or chosen by wsbench and passed in.
  if (!t.ready.port_group) {
    bool passed = std::any_of(t.argv.begin(), t.argv.end(), [](const std::string& a) { return uses_placeholder(a, "port"); }) ||
                  std::any_of(t.env.begin(), t.env.end(), [](const auto& e) { return uses_placeholder(e.second, "port"); });
    if (!passed) {
      throw TargetFileError(file, line_of(root.get("ready")), "ready",
                            "wsbench picks the port for this target (no capture group in ready.line), but neither command "
                            "nor env uses {port}: the server would not know it");
    }
  }
  return def;
}

}  // namespace

std::vector<TargetDefinition> parse_target_text(std::string_view text, const fs::path& file, const BenchPaths& paths) {
  const toml::table root = parse_toml_text(text, file);
  TableReader top(root, "", file);
  Draft base;
  base.name = file.stem().string();
  if (auto n = top.string("name")) {
    base.name = *n;
    base.name_at = top.get("name");
  }
  auto desc = top.string("description");
  if (!desc || desc->empty()) top.fail("description", top.get("description"), "missing (one line saying what this server is)");
  base.description = {*desc, top.get("description"), "description"};
  base.kind = read_kind(top);
  uint32_t order = 100;
  if (auto o = top.integer("order", 0, 10'000)) order = static_cast<uint32_t>(*o);
  base.command = read_located_strings(top, "command", true);
  base.version_args = read_located_strings(top, "version_args", false);
  read_env(top, base);
  read_requires(top, base, file);
  read_ready(top, base.proto, file);
  read_stop(top, base.proto, file);
  read_serves(top, base.proto, file);
  read_capabilities(top, base.proto, file);
  read_skip(top, base.proto);
  read_allocations(top, base, file);

  std::vector<Draft> drafts;
  if (const toml::array* variants = top.table_array("variant")) {
    if (base.name_at) top.fail("name", base.name_at, "with [[variant]] tables each variant names its target; drop the top-level name");
    std::set<std::string> names;
    for (const toml::node& n : *variants) drafts.push_back(apply_variant(base, n, file, names));
  } else {
    drafts.push_back(base);
  }
  top.reject_unknown(kTopKeys);
  if (!root.get("variant") && !valid_target_name(base.name)) {
    top.fail("name", base.name_at, fmt::format("\"{}\" must be 1-40 of A-Z a-z 0-9 - _ . + (name = \"...\" sets it; "
                                                "the default is the file name)", base.name));
  }

  std::vector<TargetDefinition> out;
  for (const Draft& d : drafts) {
    TargetDefinition def = finish(d, file, paths, root);
    def.order = order;
    def.name_line = line_of(d.name_at);
    out.push_back(std::move(def));
  }
  return out;
}

std::vector<TargetDefinition> parse_target_file(const fs::path& file, const BenchPaths& paths) {
  return parse_target_text(read_config_text(file), file, paths);
}

}  // namespace wsalloc::bench
