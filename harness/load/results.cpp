#include "load/results.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace wsalloc::load {

void ErrorCounts::add(const ErrorCounts& o) noexcept {
  mismatch += o.mismatch;
  missing += o.missing;
  unexpected_close += o.unexpected_close;
  protocol_error += o.protocol_error;
  handshake_failed += o.handshake_failed;
  connect_failed += o.connect_failed;
  client_backlog += o.client_backlog;
}

void Counters::add(const Counters& o) noexcept {
  messages += o.messages;
  payload_bytes += o.payload_bytes;
  sent += o.sent;
  unsent += o.unsent;
  handshakes += o.handshakes;
  window_handshakes += o.window_handshakes;
  behind_schedule += o.behind_schedule;
  pings_answered += o.pings_answered;
  latency_unknown += o.latency_unknown;
  broadcast_sent += o.broadcast_sent;
  deflate_agreed += o.deflate_agreed;
  deflate_declined += o.deflate_declined;
  deflate_sent_bytes += o.deflate_sent_bytes;
  deflate_sent_wire += o.deflate_sent_wire;
  deflate_received_wire += o.deflate_received_wire;
  deflate_received_bytes += o.deflate_received_bytes;
  foreign += o.foreign;
  errors.add(o.errors);
}

double RunResult::msgs_per_sec() const noexcept {
  if (summed_rates) return summed_rates->msgs_per_sec;
  return duration_s > 0 ? static_cast<double>(counters.messages) / duration_s : 0.0;
}
double RunResult::mb_per_sec() const noexcept {
  if (summed_rates) return summed_rates->mb_per_sec;
  return duration_s > 0 ? static_cast<double>(counters.payload_bytes) / duration_s / 1e6 : 0.0;
}
double RunResult::us_per_msg() const noexcept {
  if (counters.messages == 0) return std::nan("");
  return (cpu.user_s + cpu.sys_s) * 1e6 / static_cast<double>(counters.messages);
}
double RunResult::handshakes_per_sec() const noexcept {
  if (summed_rates) return summed_rates->handshakes_per_sec;
  // Churn runs handshake inside the window; otherwise all handshakes are the set-up's.
  if (counters.window_handshakes > 0 && duration_s > 0) return static_cast<double>(counters.window_handshakes) / duration_s;
  if (setup_s > 0) return static_cast<double>(counters.handshakes) / setup_s;
  return 0;
}

namespace {

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json percentiles_us(const LatencyHistogram& h) {
  if (h.count() == 0) return nullptr;
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return {{"p50", us(h.percentile(50))},     {"p90", us(h.percentile(90))},
          {"p99", us(h.percentile(99))},     {"p999", us(h.percentile(99.9))},
          {"p9999", us(h.percentile(99.99))}, {"max", us(h.max())},
          {"min", us(h.min())},              {"mean", h.mean() / 1000.0}};
}

nlohmann::json errors_json(const ErrorCounts& e) {
  return {{"mismatch", e.mismatch},
          {"missing", e.missing},
          {"unexpected_close", e.unexpected_close},
          {"protocol_error", e.protocol_error},
          {"handshake_failed", e.handshake_failed},
          {"connect_failed", e.connect_failed},
          {"client_backlog", e.client_backlog},
          {"total", e.total()}};
}

template <class T>
T field(const nlohmann::json& j, const char* name) {
  if (!j.contains(name)) throw std::invalid_argument(std::string("wsload result: missing field \"") + name + "\"");
  try {
    return j.at(name).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("wsload result: field \"") + name + "\": " + e.what());
  }
}

}  // namespace

namespace {

// Message bytes per compressed byte (higher = better compression); null when nothing was compressed.
nlohmann::json ratio_or_null(uint64_t bytes, uint64_t wire) {
  return wire == 0 ? nlohmann::json(nullptr) : nlohmann::json(static_cast<double>(bytes) / static_cast<double>(wire));
}

nlohmann::json deflate_json(const Counters& c) {
  return {{"agreed", c.deflate_agreed},
          {"declined", c.deflate_declined},
          {"sent", {{"bytes", c.deflate_sent_bytes}, {"wire_bytes", c.deflate_sent_wire},
                    {"ratio", ratio_or_null(c.deflate_sent_bytes, c.deflate_sent_wire)}}},
          {"received", {{"bytes", c.deflate_received_bytes}, {"wire_bytes", c.deflate_received_wire},
                        {"ratio", ratio_or_null(c.deflate_received_bytes, c.deflate_received_wire)}}}};
}

}  // namespace

nlohmann::json to_json(const RunResult& r) {
  const Counters& c = r.counters;
  return {
      {"tool", "wsload"},
      {"schema", 1},
      {"config", r.config},
      {"runs", r.runs},
      {"messages", c.messages},
      {"payload_bytes", c.payload_bytes},
      {"sent", c.sent},
      {"unsent", c.unsent},
      {"msgs_per_sec", r.msgs_per_sec()},
      {"rates", r.summed_rates ? "sum_of_shards" : "messages_over_duration"},
      {"mb_per_sec", r.mb_per_sec()},
      {"latency_us", percentiles_us(r.latency)},
      {"histogram", r.latency.to_json()},
      {"handshake_latency_us", percentiles_us(r.handshake_latency)},
      {"handshake_histogram", r.handshake_latency.to_json()},
      {"errors", errors_json(c.errors)},
      {"handshakes", c.handshakes},
      {"window_handshakes", c.window_handshakes},
      {"handshakes_per_sec", r.handshakes_per_sec()},
      {"behind_schedule", c.behind_schedule},
      {"pings_answered", c.pings_answered},
      {"broadcast", {{"sent", c.broadcast_sent}, {"latency_unknown", c.latency_unknown}, {"foreign", c.foreign}}},
      {"deflate", deflate_json(c)},
      {"connections", {{"requested", r.connections_requested}, {"established", r.connections_established}}},
      {"cpu",
       {{"user_s", r.cpu.user_s},
        {"sys_s", r.cpu.sys_s},
        {"us_per_msg", number_or_null(r.us_per_msg())},
        {"process_user_s", r.process_cpu.user_s},
        {"process_sys_s", r.process_cpu.sys_s}}},
      {"duration_s", r.duration_s},
      {"drain_s", r.drain_s ? nlohmann::json(*r.drain_s) : nlohmann::json(nullptr)},
      {"setup_s", r.setup_s},
      {"timed_out", r.timed_out},
      {"first_errors", r.first_errors},
  };
}

RunResult result_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("tool", std::string{}) != "wsload") {
    throw std::invalid_argument("not a wsload result (no \"tool\": \"wsload\")");
  }
  if (field<int>(j, "schema") != 1) throw std::invalid_argument("wsload result: schema " + j.at("schema").dump() + " != 1");
  RunResult r;
  r.config = j.value("config", nlohmann::json::object());
  r.runs = field<uint64_t>(j, "runs");
  Counters& c = r.counters;
  c.messages = field<uint64_t>(j, "messages");
  c.payload_bytes = field<uint64_t>(j, "payload_bytes");
  c.sent = field<uint64_t>(j, "sent");
  c.unsent = field<uint64_t>(j, "unsent");
  c.handshakes = field<uint64_t>(j, "handshakes");
  c.window_handshakes = field<uint64_t>(j, "window_handshakes");
  c.behind_schedule = field<uint64_t>(j, "behind_schedule");
  c.pings_answered = field<uint64_t>(j, "pings_answered");
  const auto& bc = j.at("broadcast");
  c.broadcast_sent = field<uint64_t>(bc, "sent");
  c.latency_unknown = field<uint64_t>(bc, "latency_unknown");
  c.foreign = bc.value("foreign", uint64_t{0});  // absent from results older than broadcast shards
  if (j.contains("deflate")) {  // absent from results written before --deflate existed
    const auto& d = j.at("deflate");
    c.deflate_agreed = field<uint64_t>(d, "agreed");
    c.deflate_declined = field<uint64_t>(d, "declined");
    c.deflate_sent_bytes = field<uint64_t>(d.at("sent"), "bytes");
    c.deflate_sent_wire = field<uint64_t>(d.at("sent"), "wire_bytes");
    c.deflate_received_bytes = field<uint64_t>(d.at("received"), "bytes");
    c.deflate_received_wire = field<uint64_t>(d.at("received"), "wire_bytes");
  }
  const auto& e = j.at("errors");
  c.errors.mismatch = field<uint64_t>(e, "mismatch");
  c.errors.missing = field<uint64_t>(e, "missing");
  c.errors.unexpected_close = field<uint64_t>(e, "unexpected_close");
  c.errors.protocol_error = field<uint64_t>(e, "protocol_error");
  c.errors.handshake_failed = field<uint64_t>(e, "handshake_failed");
  c.errors.connect_failed = field<uint64_t>(e, "connect_failed");
  c.errors.client_backlog = field<uint64_t>(e, "client_backlog");
  r.latency = LatencyHistogram::from_json(j.at("histogram"));
  r.handshake_latency = LatencyHistogram::from_json(j.at("handshake_histogram"));
  const auto& conns = j.at("connections");
  r.connections_requested = field<uint64_t>(conns, "requested");
  r.connections_established = field<uint64_t>(conns, "established");
  const auto& cpu = j.at("cpu");
  r.cpu = {field<double>(cpu, "user_s"), field<double>(cpu, "sys_s")};
  r.process_cpu = {field<double>(cpu, "process_user_s"), field<double>(cpu, "process_sys_s")};
  r.duration_s = field<double>(j, "duration_s");
  if (j.contains("drain_s") && j["drain_s"].is_number()) r.drain_s = j["drain_s"].get<double>();  // older files: no key
  r.setup_s = field<double>(j, "setup_s");
  r.timed_out = field<bool>(j, "timed_out");
  r.first_errors = j.value("first_errors", std::vector<std::string>{});
  // A merge of shards: its rates are sums that the counters cannot give back (older files: no key).
  if (j.value("rates", std::string{}) == "sum_of_shards") {
    r.summed_rates = RunResult::SummedRates{field<double>(j, "msgs_per_sec"), field<double>(j, "mb_per_sec"),
                                            field<double>(j, "handshakes_per_sec")};
  }
  return r;
}

RunResult merge_results(const std::vector<RunResult>& parts, MergeKind kind) {
  RunResult m;
  m.runs = 0;
  m.config = nlohmann::json::array();
  if (kind == MergeKind::Shards) m.summed_rates = RunResult::SummedRates{};
  for (const auto& p : parts) {
    if (m.summed_rates) {
      m.summed_rates->msgs_per_sec += p.msgs_per_sec();
      m.summed_rates->mb_per_sec += p.mb_per_sec();
      m.summed_rates->handshakes_per_sec += p.handshakes_per_sec();
    }
    m.config.push_back(p.config);
    m.runs += p.runs;
    m.counters.add(p.counters);
    m.latency.merge(p.latency);
    m.handshake_latency.merge(p.handshake_latency);
    m.cpu.user_s += p.cpu.user_s;
    m.cpu.sys_s += p.cpu.sys_s;
    m.process_cpu.user_s += p.process_cpu.user_s;
    m.process_cpu.sys_s += p.process_cpu.sys_s;
    m.connections_requested += p.connections_requested;
    m.connections_established += p.connections_established;
    m.timed_out = m.timed_out || p.timed_out;
    for (const auto& e : p.first_errors) {
      if (std::find(m.first_errors.begin(), m.first_errors.end(), e) == m.first_errors.end()) m.first_errors.push_back(e);
    }
    // The longest drain; unknown when any part's is.
    const bool first = &p == &parts.front();
    m.drain_s = first ? p.drain_s : m.drain_s && p.drain_s ? std::optional(std::max(*m.drain_s, *p.drain_s)) : std::nullopt;
    if (kind == MergeKind::Sequential) {
      m.duration_s += p.duration_s;
      m.setup_s += p.setup_s;
    } else {
      m.duration_s = std::max(m.duration_s, p.duration_s);
      m.setup_s = std::max(m.setup_s, p.setup_s);
    }
  }
  return m;
}

std::string human_summary(const RunResult& r) {
  const Counters& c = r.counters;
  std::string out;
  auto line = [&out](const std::string& s) { out += s; out += '\n'; };
  const auto& cfg = r.config;
  if (cfg.is_object() && cfg.contains("mode")) {
    line(fmt::format("wsload {} {}:{}{}  {} connections, {} threads, {} loop{}, payload {} B{}{}",
                     cfg.value("mode", ""), cfg.value("host", ""), cfg.value("port", 0), cfg.value("path", ""),
                     cfg.value("connections", 0), cfg.value("threads", 0), cfg.value("loop", ""),
                     cfg.value("loop", "") == "open" ? fmt::format(" at {} msg/s", cfg.value("rate", 0.0))
                                                     : fmt::format(", pipeline {}", cfg.value("pipeline", 0)),
                     cfg.at("payload").dump(), cfg.value("text", false) ? " text" : " binary",
                     cfg.value("fragments", 1) > 1 ? fmt::format(", {} fragments", cfg.value("fragments", 1)) : ""));
  } else {
    line(fmt::format("wsload merge of {} runs", r.runs));
  }
  line(fmt::format("  window      {:.2f} s   setup {:.3f} s   connections {}/{}{}", r.duration_s, r.setup_s,
                   r.connections_established, r.connections_requested, r.timed_out ? "   HARD TIMEOUT: partial" : ""));
  line(fmt::format("  messages    {}   {:.1f} msg/s   {:.2f} MB/s   (sent {})", c.messages, r.msgs_per_sec(), r.mb_per_sec(), c.sent));
  if (r.latency.count() > 0) {
    auto us = [&](double p) { return static_cast<double>(r.latency.percentile(p)) / 1000.0; };
    line(fmt::format("  latency us  p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  p99.99 {:.1f}  max {:.1f}  mean {:.1f}",
                     us(50), us(90), us(99), us(99.9), us(99.99), static_cast<double>(r.latency.max()) / 1000.0,
                     r.latency.mean() / 1000.0));
  } else {
    line("  latency us  (no messages measured)");
  }
  line(fmt::format("  handshakes  {}   {:.1f}/s{}", c.handshakes, r.handshakes_per_sec(),
                   r.handshake_latency.count() ? fmt::format("   p50 {:.1f} us  p99 {:.1f} us",
                                                             r.handshake_latency.percentile(50) / 1000.0,
                                                             r.handshake_latency.percentile(99) / 1000.0)
                                               : ""));
  if (c.behind_schedule || (cfg.is_object() && cfg.value("loop", "") == "open")) {
    line(fmt::format("  behind schedule {} (of {} sent)   unsent at the end {}", c.behind_schedule, c.sent, c.unsent));
  }
  if (c.broadcast_sent) {
    line(fmt::format("  broadcast   sent {}   deliveries {}{}", c.broadcast_sent, c.messages,
                     c.foreign ? fmt::format(" ({} of other publishers' messages)", c.foreign) : std::string()));
  }
  if (c.deflate_agreed || c.deflate_declined) {
    auto ratio = [](uint64_t b, uint64_t w) { return w ? fmt::format("{:.2f}", double(b) / double(w)) : std::string("-"); };
    line(fmt::format("  deflate     agreed {} declined {}   sent {} -> {} B ({}x)   received {} B -> {} ({}x)",
                     c.deflate_agreed, c.deflate_declined, c.deflate_sent_bytes, c.deflate_sent_wire,
                     ratio(c.deflate_sent_bytes, c.deflate_sent_wire), c.deflate_received_wire, c.deflate_received_bytes,
                     ratio(c.deflate_received_bytes, c.deflate_received_wire)));
  }
  const ErrorCounts& e = c.errors;
  if (e.total() == 0) {
    line("  errors      none");
  } else {
    std::string s;
    auto add = [&s](const char* name, uint64_t v) { if (v) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", name, v); };
    add("mismatch", e.mismatch);
    add("missing", e.missing);
    add("unexpected_close", e.unexpected_close);
    add("protocol_error", e.protocol_error);
    add("handshake_failed", e.handshake_failed);
    add("connect_failed", e.connect_failed);
    add("client_backlog", e.client_backlog);
    line("  ERRORS      " + s);
    for (const auto& f : r.first_errors) line("    first: " + f);
  }
  const double us = r.us_per_msg();
  line(fmt::format("  cpu         user {:.3f} s  sys {:.3f} s  -> {} us/msg   (process: user {:.3f} s, sys {:.3f} s)",
                   r.cpu.user_s, r.cpu.sys_s, std::isfinite(us) ? fmt::format("{:.3f}", us) : std::string("-"),
                   r.process_cpu.user_s, r.process_cpu.sys_s));
  return out;
}

}  // namespace wsalloc::load
