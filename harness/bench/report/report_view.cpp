#include "bench/report/report_view.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "bench/report/number_text.hpp"
#include "bench/report/instructions_view.hpp"
#include "bench/report/promises.hpp"

namespace wsalloc::report {
namespace {

using json = nlohmann::json;

// The four memory variants; used when a results file lacks the targets list.
const std::vector<std::string> kDefaultVariants = {"malloc", "arena", "pool", "zerocopy"};
constexpr const char* kMallocTarget = "malloc";
constexpr const char* kRawTarget = "rawecho";

// Verdict metric per scenario: the first one any variant measured. Throughput per server CPU
// second is the headline (it does not depend on how loaded the shared machine was); churn has
// handshakes, idle has memory per connection.
const std::vector<std::string> kVerdictMetrics = {"msgs_per_server_cpu_sec", "handshakes_per_sec",
                                                  "rss_per_conn_bytes"};

struct ChartSpec {
  const char* metric;
  const char* title;
  bool log;        // allocation counts span 0 .. tens per message: log, with zero labelled
  bool spread;     // min/max error bars
};
const std::vector<ChartSpec> kBarCharts = {
    {"msgs_per_sec", "Throughput (median, min–max)", false, true},
    {"handshakes_per_sec", "Handshakes per second (median, min–max)", false, true},
    {"server_cpu_us_per_msg", "Server CPU per message (median, min–max)", false, true},
    {"allocations_per_msg", "Allocations per message (counting pass, log scale)", true, false},
    {"alloc_bytes_per_msg", "Bytes allocated per message (counting pass, log scale)", true, false},
    {"allocations_per_conn", "Allocations per connection (counting pass, log scale)", true, false},
    {"rss_per_conn_bytes", "RSS per connection (median, min–max)", false, true},
};

std::optional<double> number_at(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::optional<double> median_of(const json& row, const std::string& metric) {
  if (!row.contains("metrics") || !row["metrics"].contains(metric)) return std::nullopt;
  return number_at(row["metrics"][metric], "median");
}

json opt_json(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

std::string str_or(const json& j, const char* key, const std::string& fallback = "") {
  if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
  return fallback;
}

bool measured_status(const std::string& status) { return status == "ok" || status == "errors"; }

std::optional<bool> higher_is_better(const json& metrics, const std::string& name) {
  if (!metrics.contains(name) || !metrics[name].contains("higher_is_better")) return std::nullopt;
  const json& h = metrics[name]["higher_is_better"];
  if (!h.is_boolean()) return std::nullopt;
  return h.get<bool>();
}

void require(const json& j, const char* key, json::value_t type, const std::string& file) {
  if (!j.is_object() || !j.contains(key)) {
    throw ReportInputError(fmt::format("{}: not a wsalloc results file: missing \"{}\"", file, key));
  }
  if (j[key].type() != type) {
    throw ReportInputError(fmt::format("{}: \"{}\" is a {}, expected {}", file, key, j[key].type_name(),
                                       json(type == json::value_t::array ? json::array() : json::object()).type_name()));
  }
}

void check_results(const json& j, const std::string& file) {
  if (!j.is_object()) throw ReportInputError(file + ": not a JSON object");
  if (str_or(j, "schema") != "wsalloc-bench-results") {
    throw ReportInputError(fmt::format("{}: schema is \"{}\", expected \"wsalloc-bench-results\"", file,
                                       str_or(j, "schema", "(missing)")));
  }
  require(j, "meta", json::value_t::object, file);
  require(j, "metrics", json::value_t::object, file);
  require(j, "summary", json::value_t::array, file);
}

// Scenario ids ("echo-large/64KiB") in first-appearance order with their summary rows.
struct IdGroup {
  std::string id, scenario, case_name;
  std::vector<const json*> rows;
};
std::vector<IdGroup> group_rows(const json& summary) {
  std::vector<IdGroup> groups;
  std::map<std::string, size_t> index;
  for (const json& row : summary) {
    const std::string id = str_or(row, "id", str_or(row, "scenario") + "/" + str_or(row, "case"));
    auto [it, fresh] = index.emplace(id, groups.size());
    if (fresh) groups.push_back({id, str_or(row, "scenario"), str_or(row, "case"), {}});
    groups[it->second].rows.push_back(&row);
  }
  return groups;
}

const json* row_for(const IdGroup& g, const std::string& target) {
  for (const json* r : g.rows) {
    if (str_or(*r, "target") == target) return r;
  }
  return nullptr;
}

std::optional<double> measured_median(const IdGroup& g, const std::string& target, const std::string& metric) {
  const json* r = row_for(g, target);
  if (!r || !measured_status(str_or(*r, "status"))) return std::nullopt;
  return median_of(*r, metric);
}

std::optional<double> ratio(std::optional<double> a, std::optional<double> b) {
  if (!a || !b || *b == 0) return std::nullopt;
  return *a / *b;
}

json spread_json(const json& row, const std::string& metric) {
  const json& m = row["metrics"].contains(metric) ? row["metrics"][metric] : json();
  json out = {{"median", opt_json(number_at(m, "median"))},
              {"min", opt_json(number_at(m, "min"))},
              {"max", opt_json(number_at(m, "max"))},
              {"n", m.is_object() && m.contains("n") ? m["n"] : json(0)}};
  // Null on purpose, with the reason (e.g. "not measured: not started by wsbench"): shown as such.
  if (m.is_object() && m.contains("null_reason") && m["null_reason"].is_string()) out["null_reason"] = m["null_reason"];
  return out;
}

// Differential allocation counts carry noise around zero; compare them as the report shows them.
double shown(double v) { return std::fabs(v) < kNearZero ? 0.0 : v; }

json build_verdict(const IdGroup& g, const std::vector<std::string>& variants, const json& metrics) {
  for (const std::string& metric : kVerdictMetrics) {
    struct Cand { std::string target; double median, min, max; };
    std::vector<Cand> cands;
    for (const std::string& v : variants) {
      const json* r = row_for(g, v);
      if (!r || !measured_status(str_or(*r, "status"))) continue;
      auto med = median_of(*r, metric);
      if (!med) continue;
      const json& m = (*r)["metrics"][metric];
      cands.push_back({v, *med, number_at(m, "min").value_or(*med), number_at(m, "max").value_or(*med)});
    }
    if (cands.empty()) continue;
    const bool hib = higher_is_better(metrics, metric).value_or(true);
    std::stable_sort(cands.begin(), cands.end(),
                     [&](const Cand& a, const Cand& b) { return hib ? a.median > b.median : a.median < b.median; });
    const Cand& best = cands.front();
    json v = {{"id", g.id}, {"metric", metric}, {"unit", metrics.contains(metric) ? metrics[metric].value("unit", "") : ""},
              {"higher_is_better", hib}, {"best", best.target}, {"median", best.median}, {"min", best.min},
              {"max", best.max}, {"runner_up", nullptr}, {"runner_up_median", nullptr}, {"decisive", true},
              {"vs_malloc", opt_json(ratio(best.median, measured_median(g, kMallocTarget, metric)))}};
    if (cands.size() > 1) {
      const Cand& second = cands[1];
      v["runner_up"] = second.target;
      v["runner_up_median"] = second.median;
      // Decisive only when the ranges over the repetitions do not overlap.
      v["decisive"] = hib ? best.min > second.max : best.max < second.min;
    }
    return v;
  }
  return nullptr;
}

json build_baseline(const std::vector<IdGroup>& now, const json& base, const json& metrics, const ViewInputs& in) {
  const std::vector<IdGroup> then = group_rows(base["summary"]);
  std::map<std::pair<std::string, std::string>, const json*> base_rows;
  for (const IdGroup& g : then) {
    for (const json* r : g.rows) base_rows[{g.id, str_or(*r, "target")}] = r;
  }
  json rows = json::array(), regressions = json::array(), missing = json::array();
  std::vector<std::string> compared;
  for (const std::string& m : key_metrics()) {
    if (higher_is_better(metrics, m)) compared.push_back(m);
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (const IdGroup& g : now) {
    for (const json* r : g.rows) {
      const std::string target = str_or(*r, "target");
      seen.insert({g.id, target});
      auto it = base_rows.find({g.id, target});
      if (it == base_rows.end()) continue;
      const json& b = *it->second;
      const bool now_measured = measured_status(str_or(*r, "status"));
      if (!measured_status(str_or(b, "status"))) continue;
      if (!now_measured) {
        missing.push_back({{"id", g.id}, {"target", target}, {"status", str_or(*r, "status")},
                           {"reason", str_or(*r, "reason")}});
        continue;
      }
      json cells = json::object();
      for (const std::string& m : compared) {
        auto bv = median_of(b, m), cv = median_of(*r, m);
        if (!bv || !cv) {
          cells[m] = {{"base", opt_json(bv)}, {"current", opt_json(cv)}, {"delta_pct", nullptr}, {"direction", "n/a"}};
          continue;
        }
        const bool hib = *higher_is_better(metrics, m);
        const double b0 = shown(*bv), c0 = shown(*cv);
        std::optional<double> pct;
        if (b0 != 0) pct = (c0 - b0) / std::fabs(b0) * 100.0;
        std::string dir = "same";
        bool regression = false;
        if (pct) {
          if (std::fabs(*pct) > in.threshold_pct) dir = ((*pct > 0) == hib) ? "better" : "worse";
        } else if (c0 != b0) {
          dir = ((c0 > b0) == hib) ? "better" : "worse";  // from zero: any change counts
        }
        regression = dir == "worse";
        cells[m] = {{"base", *bv}, {"current", *cv}, {"delta_pct", opt_json(pct)}, {"direction", dir}};
        if (regression) {
          regressions.push_back({{"id", g.id}, {"target", target}, {"metric", m}, {"base", *bv},
                                 {"current", *cv}, {"delta_pct", opt_json(pct)}});
        }
      }
      rows.push_back({{"id", g.id}, {"target", target}, {"cells", cells}});
    }
  }
  for (const auto& [key, r] : base_rows) {
    if (!seen.count(key) && measured_status(str_or(*r, "status"))) {
      missing.push_back({{"id", key.first}, {"target", key.second}, {"status", "absent"},
                         {"reason", "in the baseline, not in this run"}});
    }
  }
  const json& bm = base["meta"];
  return {{"file", in.baseline_name},
          {"git", bm.contains("git") ? bm["git"].value("short", bm["git"].value("sha", "")) : ""},
          {"date_utc", str_or(bm, "date_utc")},
          {"threshold_pct", in.threshold_pct},
          {"metrics", compared},
          {"rows", rows},
          {"regressions", regressions},
          {"missing", missing}};
}

json build_profiles(const json& results) {
  json out = json::array();
  if (!results.contains("profiles") || !results["profiles"].is_array()) return out;
  constexpr size_t kTopSites = 5;
  for (const json& p : results["profiles"]) {
    json e = p;
    e.erase("load");
    if (e.contains("summary") && e["summary"].is_object()) {
      for (const char* k : {"top_calls", "top_peak", "top_temporary"}) {
        json& a = e["summary"][k];
        if (a.is_array() && a.size() > kTopSites) a.erase(a.begin() + kTopSites, a.end());
      }
    }
    out.push_back(e);
  }
  return out;
}

json build_commands(const json& results, const ViewInputs& in) {
  json rows = json::array();
  std::set<std::pair<std::string, std::string>> done;
  if (results.contains("records") && results["records"].is_array()) {
    for (const json& r : results["records"]) {
      if (str_or(r, "pass") != "time" || !r.contains("commands")) continue;
      const std::string server = str_or(r["commands"], "server"), load = str_or(r["commands"], "load");
      if (server.empty() && load.empty()) continue;
      const std::string id = str_or(r, "id"), target = str_or(r, "target");
      if (!done.insert({id, target}).second) continue;
      rows.push_back({{"id", id}, {"target", target}, {"server", server}, {"load", load}});
    }
  }
  const json& s = results.contains("settings") ? results["settings"] : json::object();
  return {{"run", str_or(s, "command")}, {"report", in.report_command}, {"rows", rows}};
}

// Where the load came from when it came from several hosts (wsbench run --load-hosts): the engine,
// the hosts, and for every run each host's share, status and own figures beside the merge.
json build_load_hosts(const json& results) {
  const json& s = results.contains("settings") ? results["settings"] : json::object();
  if (!s.contains("load") || !s["load"].is_object() || str_or(s["load"], "engine") == "wsload") return nullptr;
  const json& load = s["load"];
  json names = json::array();
  if (load.contains("hosts") && load["hosts"].is_object()) {
    for (const auto& [name, info] : load["hosts"].items()) names.push_back(name);
  }
  auto figure = [](const json& w, const char* a, const char* b = nullptr) -> json {
    if (!w.is_object() || !w.contains(a)) return nullptr;
    const json& x = w[a];
    if (!b) return x.is_number() ? x : json(nullptr);
    return x.is_object() && x.contains(b) && x[b].is_number() ? x[b] : json(nullptr);
  };
  json runs = json::array();
  for (const json& r : results.value("records", json::array())) {
    if (!r.contains("distributed") || !r["distributed"].is_object()) continue;
    const json& d = r["distributed"];
    json hosts = json::array();
    for (const json& h : d.value("hosts", json::array())) {
      const json& share = h.contains("share") && h["share"].is_object() ? h["share"] : json::object();
      const json& f = h.contains("figures") ? h["figures"] : json(nullptr);
      hosts.push_back({{"name", str_or(h, "name")}, {"shard", share.value("shard", json(nullptr))},
                       {"connections", share.value("connections", json(nullptr))}, {"rate", share.value("rate", json(nullptr))},
                       {"status", str_or(h, "status")}, {"reason", h.value("reason", json(nullptr))},
                       {"msgs_per_sec", figure(f, "msgs_per_sec")}, {"p50_us", figure(f, "latency_us", "p50")},
                       {"p99_us", figure(f, "latency_us", "p99")}, {"errors", figure(f, "errors")}});
    }
    const json& w = r.contains("wsload") ? r["wsload"] : json(nullptr);
    runs.push_back({{"id", str_or(r, "id")}, {"target", str_or(r, "target")}, {"repetition", r.value("repetition", 0)},
                    {"pass", str_or(r, "pass")}, {"status", str_or(r, "status")}, {"partial", d.value("partial", false)},
                    {"reason", r.value("reason", json(nullptr))}, {"hosts", hosts},
                    {"merged", {{"msgs_per_sec", figure(w, "msgs_per_sec")}, {"p50_us", figure(w, "latency_us", "p50")},
                                {"p99_us", figure(w, "latency_us", "p99")}, {"errors", figure(w, "errors", "total")}}}});
  }
  return {{"engine", str_or(load, "engine")}, {"version", str_or(load, "version")}, {"master", str_or(load, "master")},
          {"hosts", names}, {"runs", runs}};
}

}  // namespace

const std::vector<std::string>& key_metrics() {
  static const std::vector<std::string> k = {
      "msgs_per_sec",         "msgs_per_server_cpu_sec", "server_cpu_us_per_msg", "allocations_per_msg",
      "alloc_bytes_per_msg",  "latency_p50_us",          "latency_p99_us",        "latency_p9999_us",
      "rss_per_conn_bytes",   "handshakes_per_sec",      "allocations_per_conn"};
  return k;
}

nlohmann::json read_results_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ReportInputError(fmt::format("cannot open results file {}", path));
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) throw ReportInputError(fmt::format("{}: not valid JSON", path));
  return j;
}

namespace {

// The results' targets, with the kinds the tables need: variants and preloaded allocators in the
// file's order.
struct TargetKinds {
  json targets = json::array();
  std::map<std::string, std::string> kind_of;
  std::vector<std::string> variants, allocators;
};

TargetKinds collect_targets(const json& res) {
  TargetKinds k;
  if (res.contains("targets") && res["targets"].is_array()) {
    for (const json& t : res["targets"]) {
      const std::string name = str_or(t, "name"), kind = str_or(t, "kind");
      k.kind_of[name] = kind;
      if (kind == "variant") k.variants.push_back(name);
      if (kind == "allocator") k.allocators.push_back(name);
      k.targets.push_back({{"name", name}, {"kind", kind}, {"available", t.value("available", false)},
                           {"reason", t.contains("reason") ? t["reason"] : json(nullptr)},
                           {"counter_note", t.contains("counter_note") ? t["counter_note"] : json(nullptr)},
                           {"version", t.contains("version") ? t["version"] : json(nullptr)}});
    }
  }
  if (k.variants.empty()) k.variants = kDefaultVariants;
  return k;
}

// One scenario case's rows: every target's spreads, status and flags. Adds the flags to
// `warnings` and the metrics some target measured to `measured_metrics`.
json scenario_rows(const IdGroup& g, const TargetKinds& k, json& warnings, std::set<std::string>& measured_metrics) {
  json rows = json::array();
  for (const json* r : g.rows) {
    const std::string target = str_or(*r, "target"), status = str_or(*r, "status");
    json m = json::object();
    if (r->contains("metrics") && (*r)["metrics"].is_object()) {
      for (auto it = (*r)["metrics"].begin(); it != (*r)["metrics"].end(); ++it) {
        m[it.key()] = spread_json(*r, it.key());
        if (measured_status(status) && m[it.key()]["median"].is_number()) measured_metrics.insert(it.key());
      }
    }
    json flags = r->contains("flags") && (*r)["flags"].is_array() ? (*r)["flags"] : json::array();
    for (const json& f : flags) {
      if (f.is_string()) warnings.push_back(fmt::format("{} · {}: {}", g.id, target, f.get<std::string>()));
    }
    rows.push_back({{"target", target},
                    {"kind", k.kind_of.count(target) ? k.kind_of.at(target) : ""},
                    {"status", status},
                    {"reason", r->contains("reason") ? (*r)["reason"] : json(nullptr)},
                    {"flags", flags},
                    {"counter_note", r->contains("counter_note") ? (*r)["counter_note"] : json(nullptr)},
                    {"time_runs", r->value("time_runs", 0)},
                    {"m", m}});
  }
  return rows;
}

// One scenario case of the report: its charts (only of metrics some target measured), the key
// metrics nobody measured, and its rows.
json scenario_section(const IdGroup& g, const json* info, const json& metrics, const TargetKinds& k, json& warnings) {
  std::set<std::string> measured_metrics;
  json rows = scenario_rows(g, k, warnings, measured_metrics);
  json charts = json::array(), not_measured = json::array();
  for (const ChartSpec& c : kBarCharts) {
    if (measured_metrics.count(c.metric)) {
      charts.push_back({{"type", "bar"}, {"metric", c.metric}, {"title", c.title}, {"log", c.log}, {"spread", c.spread},
                        {"unit", metrics.contains(c.metric) ? metrics[c.metric].value("unit", "") : ""}});
    }
  }
  if (measured_metrics.count("latency_p50_us")) {
    charts.push_back({{"type", "latency"}, {"title", "Latency percentile spectrum (median of runs, log axes)"},
                      {"unit", "us"}});
  }
  // Where a message's cost goes (issue 14): CPU time beside the kernel's counters and the
  // allocations, per message, one group per kind of cost, one bar per target.
  if (measured_metrics.count("minor_faults_per_msg")) {
    charts.push_back({{"type", "costs"},
                      {"title", "Where a message's cost goes (per message, median of runs, log axis)"},
                      {"metrics", {"server_cpu_us_per_msg", "allocations_per_msg", "minor_faults_per_msg",
                                   "read_syscalls_per_msg", "write_syscalls_per_msg", "voluntary_switches_per_msg",
                                   "involuntary_switches_per_msg"}}});
  }
  for (const char* m : {"msgs_per_sec", "server_cpu_us_per_msg", "allocations_per_msg", "latency_p50_us",
                        "rss_per_conn_bytes"}) {
    if (!measured_metrics.count(m)) not_measured.push_back(m);
  }
  return {{"id", g.id}, {"scenario", g.scenario}, {"case", g.case_name},
          {"description", info ? str_or(*info, "description") : ""},
          {"kind", info ? str_or(*info, "kind") : ""},
          {"charts", charts}, {"not_measured", not_measured}, {"rows", rows}};
}

// Variant-by-scenario table row: ratios to malloc and to the raw TCP ceiling, within this run.
// Null when no variant measured this case.
json variant_table_row(const IdGroup& g, const std::vector<std::string>& variants) {
  json cells = json::object();
  bool any = false;
  const auto malloc_tp = measured_median(g, kMallocTarget, "msgs_per_sec");
  const auto raw_tp = measured_median(g, kRawTarget, "msgs_per_sec");
  for (const std::string& var : variants) {
    const json* r = row_for(g, var);
    if (!r) continue;
    const bool ok = measured_status(str_or(*r, "status"));
    auto get = [&](const char* m) { return ok ? median_of(*r, m) : std::nullopt; };
    const auto tp = get("msgs_per_sec");
    any = any || ok;
    cells[var] = {{"status", str_or(*r, "status")},
                  {"msgs_per_sec", opt_json(tp)},
                  {"ratio_malloc", opt_json(ratio(tp, malloc_tp))},
                  {"ratio_raw", opt_json(ratio(tp, raw_tp))},
                  {"msgs_per_server_cpu_sec", opt_json(get("msgs_per_server_cpu_sec"))},
                  {"server_cpu_us_per_msg", opt_json(get("server_cpu_us_per_msg"))},
                  {"allocations_per_msg", opt_json(get("allocations_per_msg"))},
                  {"rss_per_conn_bytes", opt_json(get("rss_per_conn_bytes"))},
                  {"allocations_per_conn", opt_json(get("allocations_per_conn"))}};
  }
  if (!any) return nullptr;
  return {{"id", g.id}, {"raw_msgs_per_sec", opt_json(raw_tp)}, {"cells", cells}};
}

// Allocator comparison row: the malloc variant under glibc and each preloaded allocator. Null
// when no preloaded allocator measured this case.
json allocator_table_row(const IdGroup& g, const std::vector<std::string>& alloc_targets) {
  json acells = json::object();
  bool any_alloc = false;
  const auto glibc_eff = measured_median(g, kMallocTarget, "msgs_per_server_cpu_sec");
  for (const std::string& t : alloc_targets) {
    const json* r = row_for(g, t);
    if (!r) continue;
    const auto eff = measured_median(g, t, "msgs_per_server_cpu_sec");
    if (t != kMallocTarget && measured_status(str_or(*r, "status"))) any_alloc = true;
    acells[t] = {{"status", str_or(*r, "status")},
                 {"msgs_per_sec", opt_json(measured_median(g, t, "msgs_per_sec"))},
                 {"msgs_per_server_cpu_sec", opt_json(eff)},
                 {"rss_max_kib", opt_json(measured_median(g, t, "rss_max_kib"))},
                 {"latency_p99_us", opt_json(measured_median(g, t, "latency_p99_us"))},
                 {"ratio_glibc", opt_json(ratio(eff, glibc_eff))}};
  }
  if (!any_alloc) return nullptr;
  return {{"id", g.id}, {"cells", acells}};
}

// results.json's "precision" (bench_comparisons.hpp) with the sentence the HTML and the markdown
// both print; null for results written before it existed.
json precision_view(const json& res) {
  if (!res.contains("precision") || !res["precision"].is_object()) return nullptr;
  json p = res["precision"];
  const double n = p.value("comparisons", 0.0), k = p.value("within", 0.0);
  if (n <= 0) return nullptr;
  p["text"] = fmt::format("Precision: {:.0f} of {:.0f} variant comparisons with malloc ({}) have a 95 % interval within "
                          "±{:.0f} % ({:.0f} %; the target is 80 %), after {:.0f}-{:.0f} blocks (median {:.0f}).",
                          k, n, p.value("metric", std::string("server CPU per message")), 100 * p.value("target_half_width", 0.05),
                          100 * k / n, p.value("min_blocks", 0.0), p.value("max_blocks", 0.0), p.value("median_blocks", 0.0));
  return p;
}

}  // namespace

// Phases: check the inputs, collect the targets, then per scenario case its section, verdict and
// table rows; the rest (profiles, baseline, load hosts, commands) from their own builders.
nlohmann::json build_report_view(const ViewInputs& in) {
  if (!in.results) throw ReportInputError("build_report_view: no results");
  const json& res = *in.results;
  check_results(res, in.results_name);
  if (in.baseline) check_results(*in.baseline, in.baseline_name);
  const json& meta = res["meta"];
  const json& metrics = res["metrics"];
  const TargetKinds kinds = collect_targets(res);
  const std::vector<std::string>& variants = kinds.variants;
  std::vector<std::string> alloc_targets = {kMallocTarget};
  alloc_targets.insert(alloc_targets.end(), kinds.allocators.begin(), kinds.allocators.end());

  std::map<std::string, const json*> scenario_info;
  if (res.contains("scenarios") && res["scenarios"].is_array()) {
    for (const json& s : res["scenarios"]) scenario_info[str_or(s, "name")] = &s;
  }
  const std::vector<IdGroup> groups = group_rows(res["summary"]);
  json warnings = json::array();
  if (meta.contains("warnings") && meta["warnings"].is_array()) {
    for (const json& w : meta["warnings"]) warnings.push_back(w);
  }
  json scenarios = json::array(), verdict = json::array();
  json table_rows = json::array(), alloc_rows = json::array();
  for (const IdGroup& g : groups) {
    const json* info = scenario_info.count(g.scenario) ? scenario_info[g.scenario] : nullptr;
    scenarios.push_back(scenario_section(g, info, metrics, kinds, warnings));
    json v = build_verdict(g, variants, metrics);
    if (!v.is_null()) verdict.push_back(v);
    if (json row = variant_table_row(g, variants); !row.is_null()) table_rows.push_back(row);
    if (json row = allocator_table_row(g, alloc_targets); !row.is_null()) alloc_rows.push_back(row);
  }

  const json& git = meta.contains("git") ? meta["git"] : json::object();
  json view = {
      {"title", fmt::format("wsalloc benchmark report — {} — {}", git.value("short", git.value("sha", "?")),
                            str_or(meta, "date_utc", "?"))},
      {"source", in.results_name},
      {"meta", meta},
      {"settings", res.contains("settings") ? res["settings"] : json(nullptr)},
      {"warnings", warnings},
      {"metrics", metrics},
      {"targets", kinds.targets},
      {"variants", variants},
      {"scenarios", scenarios},
      {"verdict", verdict},
      {"summary_table", {{"variants", variants}, {"rows", table_rows}}},
      {"allocators", {{"targets", alloc_targets}, {"rows", alloc_rows}}},
      {"profiles", build_profiles(res)},
      {"promises", promises_view(res)},
      // `wsbench run`'s instructions step (instructions_view.hpp); null for older files.
      {"instructions", instructions_view(res)},
      // `wsbench run`'s paired comparisons (bench_comparisons.hpp), as written; older results have none.
      {"comparisons", res.contains("comparisons") && res["comparisons"].is_array() ? res["comparisons"] : json::array()},
      {"precision", precision_view(res)},
      {"baseline", in.baseline ? build_baseline(groups, *in.baseline, metrics, in) : json(nullptr)},
      {"load_hosts", build_load_hosts(res)},
      {"commands", build_commands(res, in)}};
  return view;
}

}  // namespace wsalloc::report
