#include "bench/report/report_html.hpp"

#include <optional>

#include <fmt/core.h>

#include "bench/report/number_text.hpp"
#include "bench/report/view_fields.hpp"

namespace wsalloc::report {
namespace {

using json = nlohmann::json;

using view_fields::num;
using view_fields::str;
std::string esc(const std::string& s) { return html_escape(s); }

// A number cell: the shown text, the exact value in a data attribute (tests and tooltips read it).
std::string num_cell(std::optional<double> v, const std::string& attrs = "") {
  const std::string cls = v ? "num" : "num nm";
  return fmt::format("<td class=\"{}\"{}{} title=\"{}\">{}</td>", cls, attrs.empty() ? "" : " ", attrs,
                     v ? fmt::format("{}", *v) : std::string(kNotMeasured), esc(format_number(v)));
}

std::string unit_of(const json& view, const std::string& metric) {
  const json& m = view["metrics"];
  return m.contains(metric) ? str(m[metric], "unit") : "";
}

void section_verdict(std::string& h, const json& view) {
  h += "<section id=\"verdict\" class=\"banner\"><h2>Verdict</h2>\n<ul>";
  if (view["verdict"].empty()) h += "<li>No variant produced a measurement in this run.</li>";
  for (const json& v : view["verdict"]) {
    std::string line = fmt::format(
        "<li data-verdict=\"{}\"><b>{}</b>: best variant <b class=\"best\">{}</b> — {} {} ({}) ", esc(str(v, "id")),
        esc(str(v, "id")), esc(str(v, "best")), esc(format_number(num(v, "median"))), esc(str(v, "unit")),
        esc(str(v, "metric")));
    if (auto r = num(v, "vs_malloc"); r && str(v, "best") != "malloc") line += fmt::format("{} vs malloc", format_ratio(r));
    if (!v["runner_up"].is_null()) {
      line += fmt::format("; runner-up {} {}", esc(str(v, "runner_up")), esc(format_number(num(v, "runner_up_median"))));
      line += v.value("decisive", false) ? " <span class=\"good\">(ranges do not overlap)</span>"
                                         : " <span class=\"warn\">(min–max ranges overlap: not decisive)</span>";
    }
    h += line + "</li>\n";
  }
  h += "</ul>";
  const json& b = view["baseline"];
  if (b.is_null()) {
    h += "<p class=\"muted\">No baseline given (<code>--baseline OTHER.json</code> compares two runs).</p>";
  } else if (b["regressions"].empty() && b["missing"].empty()) {
    h += fmt::format("<p class=\"good\" id=\"regressions\" data-count=\"0\">No regressions against the baseline {} "
                     "(threshold {} %).</p>", esc(str(b, "git")), b["threshold_pct"].dump());
  } else {
    h += fmt::format("<p class=\"bad\" id=\"regressions\" data-count=\"{}\">{} regression(s) against the baseline "
                     "{} (threshold {} %):</p><ul>", b["regressions"].size(), b["regressions"].size(),
                     esc(str(b, "git")), b["threshold_pct"].dump());
    for (const json& r : b["regressions"]) {
      h += fmt::format("<li class=\"bad\">{} · {} · {}: {} → {} ({})</li>", esc(str(r, "id")), esc(str(r, "target")),
                       esc(str(r, "metric")), esc(format_number(num(r, "base"))),
                       esc(format_number(num(r, "current"))), esc((num(r, "delta_pct") ? format_pct(num(r, "delta_pct")) : std::string("from 0"))));
    }
    for (const json& r : b["missing"]) {
      h += fmt::format("<li class=\"bad\">{} · {}: measured in the baseline, now {} ({})</li>", esc(str(r, "id")),
                       esc(str(r, "target")), esc(str(r, "status")), esc(str(r, "reason")));
    }
    h += "</ul>";
  }
  h += "</section>\n";
}

void section_environment(std::string& h, const json& view) {
  const json& m = view["meta"];
  auto row = [&](const char* k, const std::string& v) {
    h += fmt::format("<tr><th>{}</th><td data-meta=\"{}\">{}</td></tr>", k, k, esc(v.empty() ? "—" : v));
  };
  auto dump_or = [](const json& j, const char* k) { return j.is_object() && j.contains(k) ? (j[k].is_string() ? j[k].get<std::string>() : j[k].dump()) : ""; };
  h += "<section id=\"environment\"><h2>Environment</h2><table class=\"kv\">";
  const json& git = m.contains("git") ? m["git"] : json::object();
  row("git", dump_or(git, "sha") + (git.value("dirty", false) ? " (dirty)" : ""));
  row("date", dump_or(m, "date_utc") + (m.contains("finished_utc") ? " → " + dump_or(m, "finished_utc") : ""));
  const json& cpu = m.contains("cpu") ? m["cpu"] : json::object();
  row("cpu", dump_or(cpu, "model") + (cpu.contains("cores") ? ", " + dump_or(cpu, "cores") + " cores" : ""));
  row("kernel", dump_or(m, "kernel"));
  row("glibc", dump_or(m, "glibc"));
  const json& b = m.contains("build") ? m["build"] : json::object();
  row("compiler", dump_or(b, "compiler"));
  row("flags", dump_or(b, "flags") + (b.contains("build_type") ? " (" + dump_or(b, "build_type") + ")" : ""));
  const json& la = m.contains("load_average") ? m["load_average"] : json::object();
  row("load average", "start " + dump_or(la, "start") + ", end " + dump_or(la, "end"));
  if (!view["settings"].is_null()) {
    row("command", dump_or(view["settings"], "command"));
    row("pinning", dump_or(view["settings"], "pinning"));
  }
  h += "</table>";
  if (!view["warnings"].empty()) {
    h += "<h3>Warnings</h3><ul class=\"warnings\">";
    for (const json& w : view["warnings"]) h += "<li class=\"warn\">" + esc(w.get<std::string>()) + "</li>";
    h += "</ul>";
  }
  h += "</section>\n";
}

// Only when the load came from several hosts: who they were and what each one did, run by run.
void section_load_hosts(std::string& h, const json& view) {
  const json& lh = view["load_hosts"];
  if (!lh.is_object()) return;
  std::string names;
  for (const json& n : lh["hosts"]) names += (names.empty() ? "" : ", ") + n.get<std::string>();
  h += fmt::format("<section id=\"load-hosts\"><h2>Load hosts</h2><p>Load from <b>{}</b> through {} {} (master {}); each "
                   "row is one host's shard, the bold row the exact merge of the shards (<code>wsload merge</code>) that "
                   "the figures above come from. A run with a host missing is marked partial and left out of the medians.</p>",
                   esc(names), esc(str(lh, "engine")), esc(str(lh, "version")), esc(str(lh, "master")));
  h += "<table class=\"numbers\"><tr><th>run</th><th>host</th><th>shard</th><th>connections</th><th>rate</th><th>status</th>"
       "<th>msg/s</th><th>p50 µs</th><th>p99 µs</th><th>errors</th></tr>";
  for (const json& r : lh["runs"]) {
    if (str(r, "pass") != "time") continue;
    const std::string run = fmt::format("{} · {} · rep {}", str(r, "id"), str(r, "target"), r.value("repetition", 0));
    for (const json& host : r["hosts"]) {
      const bool ok = str(host, "status") == "ok";
      h += fmt::format("<tr data-load-host=\"{}\"><td>{}</td><td>{}</td><td>{}</td>", esc(str(host, "name")), esc(run),
                       esc(str(host, "name")), esc(str(host, "shard")));
      h += num_cell(num(host, "connections")) + num_cell(num(host, "rate"));
      h += fmt::format("<td class=\"{}\" title=\"{}\">{}</td>", ok ? "" : "warn",
                       esc(host["reason"].is_string() ? host["reason"].get<std::string>() : ""), esc(str(host, "status")));
      h += num_cell(num(host, "msgs_per_sec")) + num_cell(num(host, "p50_us")) + num_cell(num(host, "p99_us")) +
           num_cell(num(host, "errors")) + "</tr>";
    }
    const json& m = r["merged"];
    h += fmt::format("<tr class=\"merged\"><td><b>{}</b></td><td colspan=\"4\"><b>merged</b></td><td class=\"{}\">{}</td>",
                     esc(run), r.value("partial", false) ? "warn" : "",
                     r.value("partial", false) ? "PARTIAL: " + esc(r["reason"].is_string() ? r["reason"].get<std::string>() : "") : "all hosts");
    h += num_cell(num(m, "msgs_per_sec")) + num_cell(num(m, "p50_us")) + num_cell(num(m, "p99_us")) + num_cell(num(m, "errors")) + "</tr>";
  }
  h += "</table></section>\n";
}

void section_scenarios(std::string& h, const json& view) {
  h += "<section id=\"scenarios\"><h2>Scenarios</h2>";
  size_t si = 0;
  for (const json& s : view["scenarios"]) {
    const std::string id = str(s, "id");
    h += fmt::format("<section class=\"scenario\" data-section=\"scenario:{}\" data-expected-charts=\"{}\" "
                     "data-scenario-index=\"{}\"><h3>{}</h3><p class=\"muted\">{}</p><div class=\"charts\">",
                     esc(id), s["charts"].size(), si, esc(id), esc(str(s, "description")));
    for (size_t ci = 0; ci < s["charts"].size(); ++ci) {
      h += fmt::format("<figure class=\"chart\"><figcaption>{}</figcaption><div class=\"cbox\"><canvas "
                       "data-scenario-index=\"{}\" data-chart-index=\"{}\"></canvas></div></figure>",
                       esc(str(s["charts"][ci], "title")), si, ci);
    }
    h += "</div>";
    if (!s["not_measured"].empty()) {
      std::string list;
      for (const json& m : s["not_measured"]) list += (list.empty() ? "" : ", ") + m.get<std::string>();
      h += "<p class=\"muted\">Not measured in this scenario: " + esc(list) + ".</p>";
    }
    // The numbers behind the charts.
    static const char* cols[] = {"msgs_per_sec", "server_cpu_us_per_msg", "allocations_per_msg", "alloc_bytes_per_msg",
                                 "latency_p50_us", "latency_p99_us", "rss_per_conn_bytes"};
    h += "<table class=\"rows\"><tr><th>target</th><th>status</th>";
    for (const char* c : cols) h += fmt::format("<th>{}<br><small>{}</small></th>", c, esc(unit_of(view, c)));
    h += "<th>notes</th></tr>";
    for (const json& r : s["rows"]) {
      const std::string t = str(r, "target"), st = str(r, "status");
      const bool ok = st == "ok" || st == "errors";
      h += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td>", ok ? "" : "notrun", esc(t), esc(st));
      if (!ok) {
        h += fmt::format("<td colspan=\"{}\" class=\"nm\">not measured: {}</td>", std::size(cols), esc(str(r, "reason")));
      } else {
        for (const char* c : cols) {
          const json& m = r["m"].contains(c) ? r["m"][c] : json::object();
          const std::string attrs = fmt::format("data-id=\"{}\" data-target=\"{}\" data-metric=\"{}\"", esc(id), esc(t), c);
          if (!num(m, "median") && !str(m, "null_reason").empty()) {
            // Null on purpose: say why in the cell ("not measured: not started by wsbench").
            h += fmt::format("<td class=\"num nm\" {} title=\"{}\">{}</td>", attrs, esc(str(m, "null_reason")),
                             esc(str(m, "null_reason")));
            continue;
          }
          std::string cell = num_cell(num(m, "median"), attrs);
          if (num(m, "min") && num(m, "max") && num(m, "min") != num(m, "max")) {
            cell.insert(cell.size() - 5, fmt::format("<br><small>{}–{}</small>", esc(format_number(num(m, "min"))),
                                                     esc(format_number(num(m, "max")))));
          }
          h += cell;
        }
      }
      std::string notes;
      for (const json& f : r["flags"]) notes += (notes.empty() ? "" : "; ") + f.get<std::string>();
      if (!r["counter_note"].is_null()) notes += (notes.empty() ? "" : "; ") + r["counter_note"].get<std::string>();
      h += "<td class=\"notes\">" + esc(notes) + "</td></tr>";
    }
    h += "</table></section>\n";
    ++si;
  }
  h += "</section>\n";
}

void section_summary_table(std::string& h, const json& view) {
  const json& t = view["summary_table"];
  h += "<section id=\"summary\"><h2>Variants by scenario</h2><p class=\"muted\">Median msg/s, its ratio to the "
       "<code>malloc</code> variant and to <code>rawecho</code> (raw TCP echo: the machine's ceiling), server CPU "
       "µs/msg and allocations/msg. Ratios compare targets within this run.</p><table id=\"summary-table\" "
       "class=\"rows\"><tr><th>scenario</th>";
  for (const json& v : t["variants"]) h += "<th>" + esc(v.get<std::string>()) + "</th>";
  h += "<th>rawecho msg/s</th></tr>";
  for (const json& row : t["rows"]) {
    const std::string id = str(row, "id");
    h += "<tr><td>" + esc(id) + "</td>";
    for (const json& v : t["variants"]) {
      const std::string var = v.get<std::string>();
      if (!row["cells"].contains(var)) {
        h += "<td class=\"nm\">not run</td>";
        continue;
      }
      const json& c = row["cells"][var];
      auto part = [&](const char* key, const std::string& text) {
        return fmt::format("<span data-id=\"{}\" data-target=\"{}\" data-field=\"{}\">{}</span>", esc(id), esc(var), key,
                           esc(text));
      };
      if (!num(c, "msgs_per_sec") && num(c, "rss_per_conn_bytes")) {  // idle: what a held connection costs
        h += "<td class=\"cell\">" + part("rss_per_conn_bytes", format_number(num(c, "rss_per_conn_bytes"))) +
             " B/conn<br>" + part("allocations_per_conn", format_number(num(c, "allocations_per_conn"))) +
             " alloc/conn</td>";
        continue;
      }
      h += "<td class=\"cell\">" + part("msgs_per_sec", format_number(num(c, "msgs_per_sec"))) + " msg/s<br>" +
           part("ratio_malloc", format_ratio(num(c, "ratio_malloc"))) + " malloc · " +
           part("ratio_raw", format_ratio(num(c, "ratio_raw"))) + " raw<br>" +
           part("server_cpu_us_per_msg", format_number(num(c, "server_cpu_us_per_msg"))) + " µs CPU/msg · " +
           part("allocations_per_msg", format_number(num(c, "allocations_per_msg"))) + " alloc/msg</td>";
    }
    h += num_cell(num(row, "raw_msgs_per_sec")) + "</tr>";
  }
  h += "</table></section>\n";
}

// The paired comparisons: ratio, interval and verdict per (case, target, reference, metric).
void section_comparisons(std::string& h, const json& view) {
  const json& cs = view["comparisons"];
  h += "<section id=\"comparisons\"><h2>Comparisons</h2>";
  if (cs.empty()) {
    h += "<p class=\"muted\">No paired comparisons in these results (written before <code>wsbench run</code> "
         "measured in blocks).</p></section>\n";
    return;
  }
  const json& first = cs.front();
  h += fmt::format("<p class=\"muted\">Target / reference: the geometric mean of per-block ratios (each block runs "
                   "every target once in a random order, and the reference twice: A′ against A is the run's noise "
                   "floor), with its {:.0f} % bootstrap interval. Equivalent = the whole interval within ±{:.0f} %; "
                   "inconclusive says how many more blocks would settle it. A variant's server CPU against malloc "
                   "comes from the precision rounds where it had them (blocks marked <em>rounds</em>): servers held "
                   "for the case, malloc run just before and after each variant.</p>",
                   100 * num(first, "confidence").value_or(0.95), 100 * num(first, "delta").value_or(0.05));
  if (view.contains("precision") && view["precision"].is_object()) {
    h += fmt::format("<p id=\"precision\"><strong>{}</strong></p>", esc(str(view["precision"], "text")));
  }
  h += "<table id=\"comparisons-table\" class=\"rows\"><tr><th>scenario</th><th>target</th><th>reference</th>"
       "<th>metric</th><th>ratio</th><th>interval</th><th>blocks</th><th>verdict</th></tr>";
  for (const json& c : cs) {
    const std::string verdict = str(c, "verdict");
    const std::string cls = verdict == "faster" ? "good" : verdict == "slower" ? "bad" : verdict == "inconclusive" ? "warn" : "muted";
    const auto lo = num(c, "ci_low"), hi = num(c, "ci_high");
    const std::string interval = lo && hi ? fmt::format("[{:.3f}, {:.3f}]", *lo, *hi) : std::string("none (1 block)");
    std::string more;
    if (const auto m = num(c, "more_blocks")) more = fmt::format(" (~{:.0f} more blocks)", *m);
    const std::string case_name = str(c, "case");
    const std::string blocks = fmt::format("{:.0f}{}", num(c, "blocks").value_or(0), str(c, "servers") == "held" ? " rounds" : "");
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{:.3f}</td><td class=\"num\">{}"
                     "</td><td class=\"num\">{}</td><td class=\"{}\">{}{}</td></tr>",
                     esc(str(c, "scenario") + (case_name == "default" ? "" : "/" + case_name)), esc(str(c, "target")),
                     esc(str(c, "reference")), esc(str(c, "metric")), num(c, "ratio").value_or(0), interval, blocks, cls,
                     esc(verdict), more);
  }
  h += "</table></section>\n";
}

// The body rows of a rows × columns table (allocators, instructions): the row's label, then one
// cell per column — `cell(name, c)` for the row's cell of that column, "not run" where it has none.
template <typename CellFn>
void grid_rows(std::string& h, const json& columns, const json& rows, const char* label_key, CellFn cell) {
  for (const json& row : rows) {
    h += "<tr><td>" + esc(str(row, label_key)) + "</td>";
    for (const json& col : columns) {
      const std::string name = col.get<std::string>();
      h += row["cells"].contains(name) ? cell(name, row["cells"][name]) : std::string("<td class=\"nm\">not run</td>");
    }
    h += "</tr>";
  }
}

// The seed's promises (promises.hpp): what was promised, what this run measured, and a verdict.
void section_promises(std::string& h, const json& view) {
  h += "<section id=\"promises\"><h2>The promises, measured</h2><p class=\"muted\">Each promise the memory strategy "
       "started on, judged only by this run: met / not met by the interval where there is one, inconclusive when it "
       "straddles the bound, not measurable here with the reason.</p>";
  h += "<table id=\"promises-table\" class=\"rows\"><tr><th>promise</th><th>claim</th><th>measured</th><th>interval</th>"
       "<th>verdict</th><th>why</th></tr>";
  for (const json& p : view.value("promises", json::array())) {
    const std::string verdict = str(p, "verdict");
    const std::string cls = verdict == "met" ? "good" : verdict == "not met" ? "bad" : verdict == "inconclusive" ? "warn" : "muted";
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
                     esc(str(p, "promise")), esc(str(p, "claim")), esc(str(p, "measured")), esc(str(p, "interval")), cls,
                     esc(verdict), esc(str(p, "why")));
  }
  h += "</table></section>\n";
}

// `wsbench run`'s instructions step (instructions_view.hpp): exact instructions per message of the
// variants' fixed-work pipelines, with the ratio to malloc and allocations per message. An older
// file (no section) and a skipped or failed step say so, without a chart.
void section_instructions(std::string& h, const json& view) {
  const json& in = view.contains("instructions") ? view["instructions"] : json(nullptr);
  const char* head = "<h2>Instructions per message (callgrind, exact)</h2>";
  if (in.is_null()) {
    h += fmt::format("<section id=\"instructions\">{}<p class=\"muted\">This results file has no instruction counts "
                     "(written before <code>wsbench run</code> measured them).</p></section>\n", head);
    return;
  }
  if (str(in, "status") != "measured" || in["rows"].empty()) {
    h += fmt::format("<section id=\"instructions\">{}<p class=\"muted\">Not measured in this run ({}): {}</p></section>\n",
                     head, esc(str(in, "status")), esc(str(in, "reason")));
    return;
  }
  h += fmt::format("<section id=\"instructions\" data-section=\"instructions\" data-expected-charts=\"1\">{}"
                   "<p class=\"muted\">Each variant's pipeline on fixed work (one iteration = one message in and its "
                   "echo out; no kernel, no network) counted by callgrind ({}, {} s), allocations by its native twin: "
                   "the same build gives the same numbers. ×malloc = instructions ÷ the malloc variant's.</p>"
                   "<figure class=\"chart wide\"><div class=\"cbox\"><canvas id=\"instructions-chart\"></canvas></div>"
                   "</figure><table id=\"instructions-table\" class=\"rows\"><tr><th>workload</th>",
                   head, esc(str(in, "valgrind")), esc(format_number(num(in, "seconds"))));
  for (const json& v : in["variants"]) {
    h += "<th>" + esc(v.get<std::string>()) + "<br><small>instr/msg · ×malloc · alloc/msg</small></th>";
  }
  h += "</tr>";
  grid_rows(h, in["variants"], in["rows"], "workload", [](const std::string& name, const json& c) {
    return fmt::format("<td class=\"cell\" data-variant=\"{}\" data-instructions=\"{}\">{} · {} · {}</td>", esc(name),
                       c["instructions"].is_number() ? fmt::format("{}", c["instructions"].get<double>()) : "",
                       esc(format_number(num(c, "instructions"))), esc(format_ratio(num(c, "ratio_malloc"))),
                       esc(format_number(num(c, "allocations"))));
  });
  h += "</table></section>\n";
}

void section_allocators(std::string& h, const json& view) {
  const json& a = view["allocators"];
  if (a["rows"].empty()) {
    h += "<section id=\"allocators\" data-section=\"allocators\" data-expected-charts=\"0\"><h2>Allocators</h2><p "
         "class=\"muted\">No allocator targets (malloc+jemalloc, malloc+mimalloc, malloc+tcmalloc) were measured.</p>"
         "</section>\n";
    return;
  }
  h += "<section id=\"allocators\" data-section=\"allocators\" data-expected-charts=\"1\"><h2>Allocators</h2><p "
       "class=\"muted\">The <code>malloc</code> variant under glibc and with each allocator preloaded: msg per server "
       "CPU-second relative to glibc.</p><figure class=\"chart wide\"><div class=\"cbox\"><canvas id=\"allocator-chart\">"
       "</canvas></div></figure><table class=\"rows\"><tr><th>scenario</th>";
  for (const json& t : a["targets"]) h += "<th>" + esc(t.get<std::string>()) + "<br><small>msg/cpu-s · ×glibc · p99 µs</small></th>";
  h += "</tr>";
  grid_rows(h, a["targets"], a["rows"], "id", [](const std::string&, const json& c) {
    return fmt::format("<td class=\"cell\">{} · {} · {}</td>", esc(format_number(num(c, "msgs_per_server_cpu_sec"))),
                       esc(format_ratio(num(c, "ratio_glibc"))), esc(format_number(num(c, "latency_p99_us"))));
  });
  h += "</table></section>\n";
}

void section_profiles(std::string& h, const json& view) {
  h += "<section id=\"heaptrack\"><h2>heaptrack profiles</h2>";
  if (view["profiles"].empty()) {
    h += "<p class=\"muted\">No profiles in this run (<code>make profile</code> adds them).</p></section>\n";
    return;
  }
  h += "<table class=\"rows\"><tr><th>scenario</th><th>target</th><th>allocation calls</th><th>temporary</th><th>peak "
       "heap B</th><th>leaked B</th><th>calls / message sent</th><th>top allocation sites</th></tr>";
  for (const json& p : view["profiles"]) {
    const json& s = p.contains("summary") ? p["summary"] : json::object();
    std::string sites;
    if (s.contains("top_calls")) {
      for (const json& site : s["top_calls"]) {
        sites += fmt::format("<li>{} × <code>{}</code> {}</li>", esc(format_number(num(site, "calls"))),
                             esc(str(site, "function")), esc(str(site, "location")));
      }
    }
    h += fmt::format("<tr><td>{}/{}</td><td>{}</td>", esc(str(p, "scenario")), esc(str(p, "case")), esc(str(p, "target")));
    h += num_cell(num(s, "allocation_calls")) + num_cell(num(s, "temporary_allocations")) +
         num_cell(num(s, "peak_heap_bytes")) + num_cell(num(s, "leaked_bytes")) +
         num_cell(num(p, "allocation_calls_per_message_sent"));
    h += "<td><ol class=\"sites\">" + sites + "</ol></td></tr>";
  }
  h += "</table><p class=\"muted\">Whole process (start-up and shutdown included): an upper bound on the steady-state "
       "figures of the counting pass.</p></section>\n";
}

void section_baseline(std::string& h, const json& view) {
  const json& b = view["baseline"];
  h += "<section id=\"baseline\"><h2>Against the baseline</h2>";
  if (b.is_null()) {
    h += "<p class=\"muted\">No baseline given.</p></section>\n";
    return;
  }
  h += fmt::format("<p>Baseline <code>{}</code> ({} at {}). Δ % = (now − baseline) / baseline; green = better, red = "
                   "worse beyond {} %, grey = within.</p><table id=\"baseline-table\" class=\"rows\"><tr><th>scenario"
                   "</th><th>target</th>",
                   esc(str(b, "file")), esc(str(b, "git")), esc(str(b, "date_utc")), b["threshold_pct"].dump());
  for (const json& m : b["metrics"]) h += "<th>" + esc(m.get<std::string>()) + "</th>";
  h += "</tr>";
  for (const json& r : b["rows"]) {
    h += fmt::format("<tr><td>{}</td><td>{}</td>", esc(str(r, "id")), esc(str(r, "target")));
    for (const json& m : b["metrics"]) {
      const json& c = r["cells"][m.get<std::string>()];
      const std::string dir = str(c, "direction");
      std::string text;
      if (dir == "n/a") text = "—";
      else if (num(c, "delta_pct")) text = format_pct(num(c, "delta_pct"));
      else text = format_number(num(c, "base")) + " → " + format_number(num(c, "current"));
      h += fmt::format("<td class=\"delta {}\" data-id=\"{}\" data-target=\"{}\" data-metric=\"{}\" title=\"{} → {}\">{}</td>",
                       dir == "n/a" ? "na" : dir, esc(str(r, "id")), esc(str(r, "target")), esc(m.get<std::string>()),
                       esc(format_number(num(c, "base"))), esc(format_number(num(c, "current"))), esc(text));
    }
    h += "</tr>";
  }
  h += "</table></section>\n";
}

void section_commands(std::string& h, const json& view) {
  const json& c = view["commands"];
  h += "<section id=\"reproduce\"><h2>Reproduce</h2><pre>";
  if (!str(c, "run").empty()) h += esc(str(c, "run")) + "\n";
  if (!str(c, "report").empty()) h += esc(str(c, "report")) + "\n";
  h += "</pre>";
  if (!c["rows"].empty()) {
    h += "<details><summary>Every server and load command (first timed repetition)</summary><table class=\"rows\">";
    for (const json& r : c["rows"]) {
      h += fmt::format("<tr><td>{}</td><td>{}</td><td><pre>{}\n{}</pre></td></tr>", esc(str(r, "id")),
                       esc(str(r, "target")), esc(str(r, "server")), esc(str(r, "load")));
    }
    h += "</table></details>";
  }
  h += "</section>\n";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string script_safe(std::string_view js) {
  std::string out;
  out.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    if (js[i] == '<' && i + 1 < js.size() && js[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (js.substr(i, 4) == "<!--") {
      out += "<\\!--";
      i += 3;
    } else {
      out += js[i];
    }
  }
  return out;
}

std::string json_for_script(const nlohmann::json& j) {
  const std::string s = j.dump();
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    // Only inside JSON strings can these occur, where the \u form means the same character.
    if (ch == '<') out += "\\u003c";
    else if (ch == '>') out += "\\u003e";
    else if (ch == '&') out += "\\u0026";
    else out += ch;
  }
  return out;
}

std::string render_html(const nlohmann::json& view, std::string_view chartjs) {
  std::string h;
  h.reserve(chartjs.size() + 256 * 1024);
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(view["title"].get<std::string>()) +
       "</title>\n<style>" + std::string(page_style()) + "</style>\n</head><body>\n";
  h += "<header><h1>" + esc(view["title"].get<std::string>()) + "</h1><p class=\"muted\">from <code>" +
       esc(str(view, "source")) + "</code></p><nav><a href=\"#verdict\">verdict</a> <a href=\"#environment\">environment</a> "
       "<a href=\"#scenarios\">scenarios</a> <a href=\"#summary\">summary</a> <a href=\"#comparisons\">comparisons</a> <a href=\"#promises\">promises</a> "
       "<a href=\"#allocators\">allocators</a> <a href=\"#instructions\">instructions</a> "
       "<a href=\"#heaptrack\">heaptrack</a> <a href=\"#baseline\">baseline</a> <a href=\"#reproduce\">reproduce</a></nav></header>\n";
  section_verdict(h, view);
  section_environment(h, view);
  section_load_hosts(h, view);
  section_summary_table(h, view);
  section_comparisons(h, view);
  section_promises(h, view);
  section_scenarios(h, view);
  section_allocators(h, view);
  section_instructions(h, view);
  section_profiles(h, view);
  section_baseline(h, view);
  section_commands(h, view);
  h += "<pre id=\"render-status\">{\"done\": false}</pre>\n";
  h += "<script type=\"application/json\" id=\"report-data\">" + json_for_script(view) + "</script>\n";
  // Error capture first, so a failure while Chart.js loads is reported too.
  h += "<script>window.__reportErrors=[];window.addEventListener('error',function(e){window.__reportErrors.push("
       "String(e.message||e));});(function(){var ce=console.error;console.error=function(){window.__reportErrors.push("
       "Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};})();</script>\n";
  h += "<script>" + script_safe(chartjs) + "</script>\n";
  h += "<script>" + script_safe(page_script()) + "</script>\n</body></html>\n";
  return h;
}

}  // namespace wsalloc::report
