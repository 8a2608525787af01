// LoadRun: the load side of one measured run, as measure_run() drives it while it samples the
// server: wsload on this machine (pinned, its stderr read for the window markers), or wsload shards
// on the load hosts through the engine (locust_engine.hpp), merged with `wsload merge`.
//
// A sharded run has no window markers (the shards' windows are on other machines), so the server
// side is measured over the run's whole life, like a local wsload without markers.
// A shard that gave no result (host lost, worker not connected, wsload failed or overran) is a
// missing share: the merge is of the others, and `partial` names the missing ones, so the figures
// are never taken for the whole load.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/locust_engine.hpp"

namespace wsalloc::bench {

enum class WindowMarker : uint8_t { Start, End };

struct LoadResult {
  nlohmann::json wsload = nullptr;  // wsload's --json object (sharded: the merge), or null
  ExitStatus status;                // local: wsload's exit; sharded: 1 when any shard counted errors
  std::string error_text;           // what explains a failure (stderr tail, the shards' reasons)
  nlohmann::json distributed = nullptr;  // sharded: engine, hosts with shares, statuses and figures
  std::string partial;              // sharded: non-empty = shares missing, and why
};

class LoadRun {
 public:
  virtual ~LoadRun() = default;
  const std::string& command() const noexcept { return command_; }
  // Waits until something happened (output, exit) or `max_wait` passed. True once the load is over.
  virtual bool wait(std::chrono::milliseconds max_wait) = 0;
  // Window markers seen since the last call, in order (local wsload only).
  virtual std::vector<WindowMarker> take_markers() = 0;
  // Stops the load early (the backstop): kills what is still running.
  virtual void abort() = 0;
  // After wait() returned true (or abort()): the result.
  virtual LoadResult finish() = 0;

 protected:
  std::string command_;
};

// Returns when `child` writes on stderr or after `max_wait` (a plain sleep once stderr is closed).
// A LoadRun's wait() reads what woke it before returning, so a marker is acted on at once.
void wait_for_stderr(const ChildProcess& child, bool stderr_open, std::chrono::milliseconds max_wait);

// wsload on this machine; `argv` is the whole command (taskset prefix included). Its stdout goes to
// `stdout_path` (removed once read). Throws std::system_error when it cannot be started.
std::unique_ptr<LoadRun> start_local_load(std::vector<std::string> argv, const std::filesystem::path& stdout_path);

// The shards of one run on the load hosts. `wsload` (this machine's) merges their results; `dir` keeps
// each shard's JSON and the merge's input list.
std::unique_ptr<LoadRun> start_sharded_load(LocustEngine& engine, std::string id, std::vector<ShardPlan> shards,
                                            double deadline_s, std::string wsload, std::filesystem::path dir);

// The record's "distributed" block and the merge, from the engine's result (separated for tests).
// Merged with `wsload merge` run as `wsload`; `dir` receives shard-HOST.json files.
LoadResult merge_shard_results(const nlohmann::json& engine_result, const nlohmann::json& engine_description,
                               const std::string& wsload, const std::filesystem::path& dir);

}  // namespace wsalloc::bench
