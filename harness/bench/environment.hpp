// The `meta` block of a results file: what the numbers were measured on and with.
//
//   {"git": {"sha", "short", "dirty"}, "build": {"compiler", "flags", "build_type"},
//    "cpu": {"model", "cores", "online"}, "kernel", "glibc", "load_average": {"start", "end"},
//    "date_utc", "hostname", "pinning": {"server_cpu", "load_cpu", "taskset"}, "tools": {...}}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsalloc::bench {

struct GitState {
  std::string sha = "unknown";   // full sha, "unknown" outside a git checkout
  std::string short_sha = "nogit";
  bool dirty = false;            // tracked files differ from HEAD
};
GitState git_state(const std::filesystem::path& repo);

// Collects everything but load_average.end (filled by finish_meta at the end of the run).
nlohmann::json collect_meta(const std::filesystem::path& repo);
void finish_meta(nlohmann::json& meta);

// Warnings about the machine that a reader of the numbers must know, e.g. a load average above
// half the cores when the run starts (other processes compete with the measurement).
std::vector<std::string> machine_warnings(const nlohmann::json& meta);

// /proc/loadavg's first three numbers, e.g. [0.52, 0.31, 0.20].
nlohmann::json load_average();

}  // namespace wsalloc::bench
