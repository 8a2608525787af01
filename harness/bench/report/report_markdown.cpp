#include "bench/report/report_markdown.hpp"

#include <fmt/core.h>

#include "bench/report/number_text.hpp"
#include "bench/report/view_fields.hpp"

namespace wsalloc::report {
namespace {

using json = nlohmann::json;

using view_fields::num;
using view_fields::str;
// Table cells: a '|' inside would split the cell.
std::string cell(std::string s) {
  for (size_t p = s.find('|'); p != std::string::npos; p = s.find('|', p + 2)) s.replace(p, 1, "\\|");
  return s;
}

// A rows × columns table (allocators, instructions): header, separator, then per row its label and
// one cell per column — `cell(c)` for the row's cell of that column, "not run" where it has none.
template <typename CellFn>
std::string grid_table(const char* corner, const json& columns, const json& rows, const char* label_key, CellFn cell_text) {
  std::string md = fmt::format("| {} |", corner);
  for (const json& col : columns) md += fmt::format(" {} |", col.get<std::string>());
  md += "\n|---|";
  for (size_t i = 0; i < columns.size(); ++i) md += "---|";
  md += "\n";
  for (const json& row : rows) {
    md += fmt::format("| {} |", cell(str(row, label_key)));
    for (const json& col : columns) {
      const std::string name = col.get<std::string>();
      md += row["cells"].contains(name) ? " " + cell_text(row["cells"][name]) + " |" : std::string(" not run |");
    }
    md += "\n";
  }
  return md;
}

// Every target of every scenario (your own ones too: the sections above show variants and
// allocators only). A figure null on purpose shows its reason, e.g. "not measured: not started by
// wsbench" for a --target-url server, so "—" is never mistaken for a missing measurement or 0.
std::string every_target_section(const json& view) {
  static const char* cols[] = {"msgs_per_sec", "latency_p99_us", "server_cpu_us_per_msg", "allocations_per_msg",
                               "rss_per_conn_bytes"};
  std::string md = "\n## Every target by scenario\n\nmsg/s · p99 µs · server CPU µs/msg · allocations/msg · RSS B/conn "
                   "(medians)\n";
  for (const json& s : view["scenarios"]) {
    md += fmt::format("\n### {}\n\n| target | kind | msg/s | p99 µs | CPU µs/msg | alloc/msg | RSS B/conn | notes |\n"
                      "|---|---|---|---|---|---|---|---|\n",
                      cell(str(s, "id")));
    for (const json& r : s["rows"]) {
      const std::string st = str(r, "status");
      md += fmt::format("| {} | {} |", cell(str(r, "target")), str(r, "kind"));
      if (st != "ok" && st != "errors") {
        md += fmt::format(" {}: {} | | | | | |\n", st, cell(str(r, "reason")));
        continue;
      }
      for (const char* c : cols) {
        const json& m = r["m"].contains(c) ? r["m"][c] : json::object();
        md += fmt::format(" {} |", !num(m, "median") && !str(m, "null_reason").empty() ? cell(str(m, "null_reason"))
                                                                                           : format_number(num(m, "median")));
      }
      std::string notes = st == "errors" ? "ERRORS" : "";
      for (const json& f : r["flags"]) notes += (notes.empty() ? "" : "; ") + f.get<std::string>();
      if (r["counter_note"].is_string()) notes += (notes.empty() ? "" : "; ") + r["counter_note"].get<std::string>();
      md += fmt::format(" {} |\n", cell(notes));
    }
  }
  return md;
}

// The headline: the best variant per scenario case, and whether the ranges settle it.
std::string verdict_section(const json& view) {
  std::string md;
  if (view["verdict"].empty()) md += "No variant produced a measurement in this run.\n";
  for (const json& v : view["verdict"]) {
    md += fmt::format("- **{}**: best variant **{}** — {} {} ({})", str(v, "id"), str(v, "best"),
                      format_number(num(v, "median")), str(v, "unit"), str(v, "metric"));
    if (str(v, "best") != "malloc" && num(v, "vs_malloc")) md += fmt::format(" {} vs malloc", format_ratio(num(v, "vs_malloc")));
    if (!v["runner_up"].is_null()) {
      md += fmt::format("; runner-up {} {}{}", str(v, "runner_up"), format_number(num(v, "runner_up_median")),
                        v.value("decisive", false) ? " (ranges do not overlap)" : " (min–max ranges overlap: not decisive)");
    }
    md += "\n";
  }
  return md;
}

// Regressions and lost measurements against the baseline (nothing without one).
std::string baseline_regressions(const json& view) {
  std::string md;
  const json& b = view["baseline"];
  if (!b.is_null()) {
    md += fmt::format("\n**{} regression(s)** against the baseline {} (threshold {} %)\n", b["regressions"].size(),
                      str(b, "git"), b["threshold_pct"].dump());
    for (const json& r : b["regressions"]) {
      md += fmt::format("- {} · {} · {}: {} → {} ({})\n", str(r, "id"), str(r, "target"), str(r, "metric"),
                        format_number(num(r, "base")), format_number(num(r, "current")), (num(r, "delta_pct") ? format_pct(num(r, "delta_pct")) : std::string("from 0")));
    }
    for (const json& r : b["missing"]) {
      md += fmt::format("- {} · {}: measured in the baseline, now {} ({})\n", str(r, "id"), str(r, "target"),
                        str(r, "status"), str(r, "reason"));
    }
  }
  return md;
}

std::string warnings_section(const json& view) {
  std::string md;
  if (!view["warnings"].empty()) {
    md += "\n## Warnings\n\n";
    for (const json& w : view["warnings"]) md += fmt::format("- {}\n", w.get<std::string>());
  }
  return md;
}

// msg/s and its ratios to malloc and the raw echo, per variant and scenario (idle: cost per connection).
std::string variants_table(const json& view) {
  std::string md;
  const json& t = view["summary_table"];
  md += "\n## Variants by scenario\n\nmsg/s (median) · ×malloc · ×rawecho · server CPU µs/msg · allocations/msg\n\n| scenario |";
  for (const json& v : t["variants"]) md += fmt::format(" {} |", v.get<std::string>());
  md += " rawecho msg/s |\n|---|";
  for (size_t i = 0; i < t["variants"].size(); ++i) md += "---|";
  md += "---|\n";
  for (const json& row : t["rows"]) {
    md += fmt::format("| {} |", cell(str(row, "id")));
    for (const json& v : t["variants"]) {
      const std::string var = v.get<std::string>();
      if (!row["cells"].contains(var)) {
        md += " not run |";
        continue;
      }
      const json& c = row["cells"][var];
      if (!num(c, "msgs_per_sec") && num(c, "rss_per_conn_bytes")) {  // idle: what a held connection costs
        md += fmt::format(" {} B/conn · {} alloc/conn |", format_number(num(c, "rss_per_conn_bytes")),
                          format_number(num(c, "allocations_per_conn")));
        continue;
      }
      md += fmt::format(" {} · {} · {} · {} µs · {} alloc |", format_number(num(c, "msgs_per_sec")),
                        format_ratio(num(c, "ratio_malloc")), format_ratio(num(c, "ratio_raw")),
                        format_number(num(c, "server_cpu_us_per_msg")), format_number(num(c, "allocations_per_msg")));
    }
    md += fmt::format(" {} |\n", format_number(num(row, "raw_msgs_per_sec")));
  }
  return md;
}

std::string allocators_table(const json& view) {
  const json& a = view["allocators"];
  if (a["rows"].empty()) return "";
  return "\n## Allocators (malloc variant; msg per server CPU-s · ×glibc)\n\n" +
         grid_table("scenario", a["targets"], a["rows"], "id", [](const json& c) {
           return fmt::format("{} · {}", format_number(num(c, "msgs_per_server_cpu_sec")), format_ratio(num(c, "ratio_glibc")));
         });
}

// `wsbench run`'s instructions step (instructions_view.hpp); one line when the file has none.
std::string instructions_table(const json& view) {
  const json& in = view.contains("instructions") ? view["instructions"] : json(nullptr);
  std::string md = "\n## Instructions per message (callgrind, exact)\n\n";
  if (in.is_null()) return md + "Not in this results file (written before `wsbench run` measured them).\n";
  if (str(in, "status") != "measured" || in["rows"].empty()) {
    return md + fmt::format("Not measured in this run ({}): {}\n", str(in, "status"), str(in, "reason"));
  }
  md += fmt::format("Fixed-work pipelines, one iteration = one message in and its echo out ({}, {} s). "
                    "Cells: instructions/msg · ×malloc · allocations/msg.\n\n",
                    str(in, "valgrind"), format_number(num(in, "seconds")));
  return md + grid_table("workload", in["variants"], in["rows"], "workload", [](const json& c) {
           return fmt::format("{} · {} · {}", format_number(num(c, "instructions")), format_ratio(num(c, "ratio_malloc")),
                              format_number(num(c, "allocations")));
         });
}

std::string heaptrack_table(const json& view) {
  std::string md;
  if (!view["profiles"].empty()) {
    md += "\n## heaptrack\n\n| scenario | target | allocation calls | temporary | peak heap B | leaked B | calls/msg sent |\n"
          "|---|---|---|---|---|---|---|\n";
    for (const json& p : view["profiles"]) {
      const json& s = p.contains("summary") ? p["summary"] : json::object();
      md += fmt::format("| {}/{} | {} | {} | {} | {} | {} | {} |\n", str(p, "scenario"), str(p, "case"), str(p, "target"),
                        format_number(num(s, "allocation_calls")), format_number(num(s, "temporary_allocations")),
                        format_number(num(s, "peak_heap_bytes")), format_number(num(s, "leaked_bytes")),
                        format_number(num(p, "allocation_calls_per_message_sent")));
    }
  }
  return md;
}

// Every figure of the key metrics against the baseline (nothing without one).
std::string baseline_table(const json& view) {
  std::string md;
  const json& b = view["baseline"];
  if (!b.is_null()) {
    md += fmt::format("\n## Against the baseline {} (Δ %, + = higher)\n\n| scenario | target |", str(b, "git"));
    for (const json& m : b["metrics"]) md += fmt::format(" {} |", m.get<std::string>());
    md += "\n|---|---|";
    for (size_t i = 0; i < b["metrics"].size(); ++i) md += "---|";
    md += "\n";
    for (const json& r : b["rows"]) {
      md += fmt::format("| {} | {} |", cell(str(r, "id")), str(r, "target"));
      for (const json& m : b["metrics"]) {
        const json& c = r["cells"][m.get<std::string>()];
        const std::string dir = str(c, "direction");
        std::string text = dir == "n/a" ? "—"
                           : num(c, "delta_pct") ? format_pct(num(c, "delta_pct"))
                                                 : fmt::format("{} → {}", format_number(num(c, "base")), format_number(num(c, "current")));
        if (dir == "worse") text = fmt::format("**{}** ✗", text);
        if (dir == "better") text += " ✓";
        md += fmt::format(" {} |", text);
      }
      md += "\n";
    }
  }
  return md;
}

// Each load host's shard and the merge the figures come from (--load-hosts runs only).
std::string load_hosts_section(const json& view) {
  std::string md;
  if (const json& lh = view["load_hosts"]; lh.is_object()) {
    md += fmt::format("\n## Load hosts ({} {}, master {})\n\nEach host's shard, then the exact merge the figures come "
                      "from; a partial run (a host missing) is left out of the medians.\n\n"
                      "| run | host | shard | connections | rate | status | msg/s | p50 µs | p99 µs | errors |\n"
                      "|---|---|---|---|---|---|---|---|---|---|\n",
                      str(lh, "engine"), str(lh, "version"), str(lh, "master"));
    for (const json& r : lh["runs"]) {
      if (str(r, "pass") != "time") continue;
      const std::string run = cell(fmt::format("{} · {} · rep {}", str(r, "id"), str(r, "target"), r.value("repetition", 0)));
      for (const json& h : r["hosts"]) {
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", run, cell(str(h, "name")), str(h, "shard"),
                          format_number(num(h, "connections")), format_number(num(h, "rate")),
                          str(h, "status") == "ok" ? "ok" : fmt::format("**{}**: {}", str(h, "status"), cell(str(h, "reason"))),
                          format_number(num(h, "msgs_per_sec")), format_number(num(h, "p50_us")),
                          format_number(num(h, "p99_us")), format_number(num(h, "errors")));
      }
      const json& m = r["merged"];
      md += fmt::format("| {} | **merged** | | | | {} | {} | {} | {} | {} |\n", run,
                        r.value("partial", false) ? "**PARTIAL**: " + cell(str(r, "reason")) : "all hosts",
                        format_number(num(m, "msgs_per_sec")), format_number(num(m, "p50_us")), format_number(num(m, "p99_us")),
                        format_number(num(m, "errors")));
    }
  }
  return md;
}

std::string reproduce_section(const json& view) {
  std::string md;
  const json& c = view["commands"];
  md += "\n## Reproduce\n\n```\n";
  if (!str(c, "run").empty()) md += fmt::format("{}\n", str(c, "run"));
  if (!str(c, "report").empty()) md += fmt::format("{}\n", str(c, "report"));
  md += "```\n";
  return md;
}

}  // namespace

// Sections in reading order; each is empty when its part of the view is.
// The seed's promises (promises.hpp), one row each.
std::string promises_section(const json& view) {
  const json& ps = view.value("promises", json::array());
  if (ps.empty()) return "";
  std::string md = "\n## The promises, measured\n\n| promise | claim | measured | interval | verdict | why |\n|---|---|---|---|---|---|\n";
  for (const json& p : ps) {
    md += fmt::format("| {} | {} | {} | {} | **{}** | {} |\n", str(p, "promise"), str(p, "claim"), str(p, "measured"),
                      str(p, "interval"), str(p, "verdict"), str(p, "why"));
  }
  return md;
}

std::string render_markdown(const nlohmann::json& view) {
  std::string md = fmt::format("# {}\n\nFrom `{}`.\n\n## Verdict\n\n", str(view, "title"), str(view, "source"));
  md += verdict_section(view);
  md += baseline_regressions(view);
  if (view.contains("precision") && view["precision"].is_object()) md += "\n" + str(view["precision"], "text") + "\n";
  md += promises_section(view);
  md += warnings_section(view);
  md += variants_table(view);
  md += allocators_table(view);
  md += instructions_table(view);
  md += heaptrack_table(view);
  md += baseline_table(view);
  md += every_target_section(view);
  md += load_hosts_section(view);
  md += reproduce_section(view);
  return md;
}

}  // namespace wsalloc::report
