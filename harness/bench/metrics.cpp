#include "bench/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bench/json_optional.hpp"

namespace wsalloc::bench {

const std::vector<MetricInfo>& metric_catalogue() {
  static const std::vector<MetricInfo> k = {
      {"msgs_per_sec", "msg/s", true, "verified echoes (broadcast: deliveries) per second of the measured window"},
      {"mb_per_sec", "MB/s", true, "payload bytes per second, one direction, 10^6 B"},
      {"msgs_per_server_cpu_sec", "msg/cpu-s", true, "messages per second of server CPU time (user+sys): the fair throughput"},
      {"server_cpu_us_per_msg", "us/msg", false, "server CPU time per message (all threads, ns from /proc/PID/task/*/schedstat)"},
      {"server_cpu_util", "cores", std::nullopt, "server CPU time / window wall time (1.0 = one core busy)"},
      {"load_cpu_us_per_msg", "us/msg", false, "wsload's own CPU time per message (its workers, measured window)"},
      {"load_cpu_util", "cores", std::nullopt, "wsload CPU time / window wall time"},
      {"latency_p50_us", "us", false, "round-trip latency, 50th percentile (open loop: from the intended send time)"},
      {"latency_p90_us", "us", false, "round-trip latency, 90th percentile"},
      {"latency_p99_us", "us", false, "round-trip latency, 99th percentile"},
      {"latency_p999_us", "us", false, "round-trip latency, 99.9th percentile"},
      {"latency_p9999_us", "us", false, "round-trip latency, 99.99th percentile"},
      {"latency_max_us", "us", false, "round-trip latency, maximum"},
      {"minor_faults_per_msg", "fault/msg", false, "server minor page faults per message (a page mapped on first touch; /proc/PID/stat)"},
      {"major_faults_per_msg", "fault/msg", false, "server major page faults per message (read from disk or swap)"},
      {"read_syscalls_per_msg", "call/msg", false, "server read(2)-family calls per message (read, readv, pread; /proc/PID/io syscr: recv*/recvmsg are not counted there)"},
      {"write_syscalls_per_msg", "call/msg", false, "server write(2)-family calls per message (write, writev, pwrite; /proc/PID/io syscw: send*/sendmsg are not counted there)"},
      {"voluntary_switches_per_msg", "switch/msg", false, "server voluntary context switches per message (blocked: epoll_wait, locks)"},
      {"involuntary_switches_per_msg", "switch/msg", false, "server involuntary context switches per message (preempted by the scheduler)"},
      {"allocations_per_msg", "alloc/msg", false, "malloc-family allocations per message (LD_PRELOAD counter, counting pass)"},
      {"alloc_bytes_per_msg", "B/msg", false, "bytes requested from malloc per message (counting pass)"},
      {"frees_per_msg", "free/msg", false, "free() calls per message (counting pass)"},
      {"allocations_per_conn", "alloc/conn", false, "allocations per connection opened in the window (churn, idle; counting pass)"},
      {"rss_start_kib", "KiB", false, "server VmRSS when ready, before any connection"},
      {"rss_max_kib", "KiB", false, "largest server VmRSS sampled during the run"},
      {"rss_hwm_kib", "KiB", false, "server VmHWM (peak RSS since start) at the end of the window"},
      {"rss_per_conn_bytes", "B/conn", false, "(largest VmRSS - VmRSS when ready) / connections"},
      {"handshakes_per_sec", "handshake/s", true, "completed opening handshakes per second (churn)"},
      {"server_cpu_us_per_handshake", "us/handshake", false, "server CPU per connection opened in the window (churn)"},
      {"errors", "count", false, "wsload errors of every kind (mismatch, missing, unexpected close, ...)"},
      {"behind_schedule", "count", false, "open loop: sends that left later than wsload's tolerance"},
      {"offered_rate", "msg/s", std::nullopt, "open loop: the rate wsload was asked to send"},
      {"connections", "count", std::nullopt, "connections established"},
      {"compression_ratio", "x", true, "permessage-deflate: the server's message bytes per compressed byte, as wsload inflated them"},
  };
  return k;
}

const MetricInfo* find_metric(std::string_view name) {
  for (const MetricInfo& m : metric_catalogue()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool measured_on_server(std::string_view m) {
  static const std::string_view k[] = {"msgs_per_server_cpu_sec", "server_cpu_us_per_msg", "server_cpu_util",
                                       "allocations_per_msg",     "alloc_bytes_per_msg",   "frees_per_msg",
                                       "allocations_per_conn",    "rss_start_kib",         "rss_max_kib",
                                       "rss_hwm_kib",             "rss_per_conn_bytes",    "server_cpu_us_per_handshake",
                                       "minor_faults_per_msg",    "major_faults_per_msg",  "read_syscalls_per_msg",
                                       "write_syscalls_per_msg",  "voluntary_switches_per_msg",
                                       "involuntary_switches_per_msg"};
  return std::find(std::begin(k), std::end(k), m) != std::end(k);
}

void MetricValues::set_not_measured(std::string_view name, std::string reason) {
  set(name, std::nullopt);
  for (auto& [n, r] : null_reasons_) {
    if (n == name) {
      r = std::move(reason);
      return;
    }
  }
  null_reasons_.emplace_back(std::string(name), std::move(reason));
}

const std::string* MetricValues::null_reason(std::string_view name) const {
  if (has(name)) return nullptr;
  for (const auto& [n, r] : null_reasons_) {
    if (n == name) return &r;
  }
  return nullptr;
}

void MetricValues::set(std::string_view name, std::optional<double> v) {
  if (!find_metric(name)) throw std::out_of_range("metric '" + std::string(name) + "' is not in the catalogue");
  if (v && !std::isfinite(*v)) v.reset();
  for (auto& [n, val] : values_) {
    if (n == name) {
      val = v;
      return;
    }
  }
  values_.emplace_back(std::string(name), v);
}

std::optional<double> MetricValues::get(std::string_view name) const {
  for (const auto& [n, val] : values_) {
    if (n == name) return val;
  }
  return std::nullopt;
}

bool MetricValues::has(std::string_view name) const { return get(name).has_value(); }

nlohmann::json MetricValues::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const MetricInfo& m : metric_catalogue()) {
    auto v = get(m.name);
    j[std::string(m.name)] = {
        {"value", optional_json(v)},
        {"unit", m.unit},
        {"higher_is_better", optional_json(m.higher_is_better)}};
    if (const std::string* why = null_reason(m.name)) j[std::string(m.name)]["null_reason"] = *why;
  }
  return j;
}

MetricValues MetricValues::from_json(const nlohmann::json& j) {
  MetricValues out;
  for (const auto& [name, entry] : j.items()) {
    if (!find_metric(name)) continue;
    const nlohmann::json& v = entry.is_object() ? entry.at("value") : entry;
    out.set(name, v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt);
    if (entry.is_object() && entry.contains("null_reason") && entry["null_reason"].is_string()) {
      out.set_not_measured(name, entry["null_reason"].get<std::string>());
    }
  }
  return out;
}

nlohmann::json metric_catalogue_json() {
  nlohmann::json j = nlohmann::json::object();
  for (const MetricInfo& m : metric_catalogue()) {
    j[std::string(m.name)] = {
        {"unit", m.unit},
        {"higher_is_better", optional_json(m.higher_is_better)},
        {"description", m.description}};
  }
  return j;
}

}  // namespace wsalloc::bench
