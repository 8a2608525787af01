// LocustEngine: the distribution layer of a `wsbench run --load-hosts`. Locust (Debian python3-locust,
// master and workers over ZeroMQ) carries wsload shards to the load hosts and their JSON results
// back; harness/bench/distributed/locustfile.py is the glue, and its header says how.
//
// Lifetime: one master for the whole `wsbench run`, started by start() and stopped (SIGTERM by its
// PID, which makes it tell its workers to quit) by the destructor. The load hosts' workers are
// started by the user, one per host, before or after the master (they retry for 5 minutes).
// Talking to the master: files in its control folder, each written whole and renamed into place
// (plan-ID.json from us; ready.json, hosts.json, result-ID.json, error.json from it).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/load_hosts.hpp"

namespace wsalloc::bench {

struct LocustEngineConfig {
  LoadHostsConfig hosts;
  std::string locust;                  // the locust program (found on PATH by the caller)
  std::filesystem::path locustfile;    // harness/bench/distributed/locustfile.py
  std::filesystem::path control_dir;   // created; the master's log goes there too
};

// One shard as the master hands it out: the host, what it gets, and wsload's arguments.
struct ShardPlan {
  std::string host;
  nlohmann::json share;                // {"shard": "1/3", "connections": .., "rate": ..}: recorded as is
  std::vector<std::string> wsload_args;
};

class LocustEngine {
 public:
  // Starts the master and waits (at most config.hosts.wait_s) until every named host's worker is
  // connected. Throws std::runtime_error naming the hosts that never came (and what the master said
  // last) when they do not, or when the master exits.
  static std::unique_ptr<LocustEngine> start(const LocustEngineConfig& config);
  ~LocustEngine();
  LocustEngine(const LocustEngine&) = delete;
  LocustEngine& operator=(const LocustEngine&) = delete;

  // Hands out one run's shards; `deadline_s` bounds each shard's wsload on its host.
  void submit(const std::string& id, const std::vector<ShardPlan>& shards, double deadline_s);
  // The master's result-ID.json once written: {"id", "hosts": [{"host", "status", "reason", "share",
  // "exit_code", "stdout", "stderr_tail", "command", ...}]}. A master that exited or failed answers
  // for every host instead (status "engine_failed"), so a caller never waits on a dead engine.
  std::optional<nlohmann::json> result(const std::string& id, const std::vector<ShardPlan>& shards);

  // {"engine": "locust", "version", "master": "ADDR:PORT", "hosts": {name: {node, pid, wsload, cpu}}}
  const nlohmann::json& describe() const noexcept { return description_; }
  const std::string& master_command() const noexcept { return command_; }

 private:
  LocustEngine() = default;
  std::string engine_failure();  // "" while the master runs and reported no error

  LocustEngineConfig config_;
  ChildProcess master_;
  std::string command_;
  nlohmann::json description_;
};

// The last `lines` lines of a text file ("" when unreadable): what a failing program said last.
std::string tail_of_file(const std::filesystem::path& file, size_t lines);

}  // namespace wsalloc::bench
