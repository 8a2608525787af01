#include "bench/summary_table.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

namespace wsalloc::bench {
namespace {

// UTF-8 aware padding: fmt pads by code units in some versions, and the table uses "—" and "µ".
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}
std::string pad_left(const std::string& s, size_t w) {
  size_t d = display_width(s);
  return d >= w ? s : std::string(w - d, ' ') + s;
}
std::string pad_right(const std::string& s, size_t w) {
  size_t d = display_width(s);
  return d >= w ? s : s + std::string(w - d, ' ');
}

std::optional<double> med(const SummaryRow& r, std::string_view m) {
  const Spread* s = r.metric(m);
  return s ? std::optional(s->median) : std::nullopt;
}

// Allocation counts from a differential count carry the run-to-run noise of connection set-up
// (a handful of allocations over ~10^5 messages): |x| < 0.001 per message reads as "≈0" here; the
// exact value stays in results.json.
std::string alloc_cell(std::optional<double> v) {
  if (v && *v != 0 && std::fabs(*v) < 1e-3) return "≈0";
  return compact_number(v);
}

// Figures left null on purpose say why once per reason, e.g. "[server side not measured: not
// started by wsbench]" for a --target-url server: a "—" there is not a missing measurement.
std::string null_reason_notes(const SummaryRow& r) {
  std::vector<std::string> reasons;
  bool server_only = true;
  for (const auto& [metric, why] : r.null_reasons) {
    server_only = server_only && measured_on_server(metric);
    if (std::find(reasons.begin(), reasons.end(), why) == reasons.end()) reasons.push_back(why);
  }
  std::string out;
  for (const std::string& why : reasons) out += fmt::format("[{}{}] ", server_only ? "server side " : "", why);
  return out;
}

}  // namespace

std::string compact_number(std::optional<double> v) {
  if (!v) return "—";
  const double a = std::fabs(*v);
  if (a == 0) return "0";
  if (a >= 1e9) return fmt::format("{:.2f}G", *v / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f}M", *v / 1e6);
  if (a >= 1e4) return fmt::format("{:.1f}k", *v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", *v);
  if (a >= 10) return fmt::format("{:.1f}", *v);
  if (a >= 0.1) return fmt::format("{:.2f}", *v);
  return fmt::format("{:.3g}", *v);
}

std::string render_summary(const std::vector<SummaryRow>& rows) {
  struct Col {
    const char* title;
    size_t width;
  };
  const Col cols[] = {{"target", 16},      {"msg/s", 9},     {"spread", 15},    {"srv µs/msg", 10}, {"msg/cpu-s", 9},
                      {"alloc/msg", 9},    {"B/msg", 8},     {"p50 µs", 8},     {"p99 µs", 8},      {"RSS/conn", 9},
                      {"hs/s", 7},         {"zratio", 6},    {"notes", 0}};
  std::string out;
  std::string header = pad_right(cols[0].title, cols[0].width) + " ";
  for (size_t i = 1; i < std::size(cols); ++i) {
    header += cols[i].width ? pad_left(cols[i].title, cols[i].width) + " " : std::string(cols[i].title);
  }

  std::string current;
  for (const SummaryRow& r : rows) {
    if (r.id() != current) {
      current = r.id();
      // Churn and idle count allocations per connection, not per message: say so in the header.
      bool per_conn = false;
      for (const SummaryRow& o : rows) {
        if (o.id() == current && o.metric("allocations_per_conn") && !o.metric("allocations_per_msg")) per_conn = true;
      }
      std::string h = header;
      if (per_conn) h.replace(h.find("alloc/msg"), 9, "alloc/con");
      out += fmt::format("\n{}\n{}\n", current, h);
    }
    std::string line = pad_right(r.target, cols[0].width) + " ";
    if (r.status == RunStatus::Ok || r.status == RunStatus::Errors) {
      const Spread* tput = r.metric("msgs_per_sec");
      std::string spread = tput && tput->n > 1 ? compact_number(tput->min) + "–" + compact_number(tput->max) : "";
      const std::string rss = r.metric("rss_per_conn_bytes") ? compact_number(med(r, "rss_per_conn_bytes")) + "B" : "—";
      const std::string cells[] = {compact_number(med(r, "msgs_per_sec")),
                                   spread,
                                   compact_number(med(r, "server_cpu_us_per_msg")),
                                   compact_number(med(r, "msgs_per_server_cpu_sec")),
                                   alloc_cell(med(r, "allocations_per_msg").has_value() ? med(r, "allocations_per_msg") : med(r, "allocations_per_conn")),
                                   alloc_cell(med(r, "alloc_bytes_per_msg")),
                                   compact_number(med(r, "latency_p50_us")),
                                   compact_number(med(r, "latency_p99_us")),
                                   rss,
                                   compact_number(med(r, "handshakes_per_sec")),
                                   med(r, "compression_ratio") ? compact_number(med(r, "compression_ratio")) + "x" : "—"};
      for (size_t i = 0; i < std::size(cells); ++i) line += pad_left(cells[i], cols[i + 1].width) + " ";
      std::string notes;
      if (r.status == RunStatus::Errors) notes += "ERRORS ";
      for (const std::string& f : r.flags) notes += "[" + f + "] ";
      notes += null_reason_notes(r);
      if (!r.metric("allocations_per_msg") && !r.metric("allocations_per_conn") && !r.counter_note.empty()) {
        notes += "(allocs " + r.counter_note.substr(0, r.counter_note.find(':')) + ")";
      }
      line += notes;
    } else {
      line += fmt::format("{}: {}", to_string(r.status), r.reason);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace wsalloc::bench
