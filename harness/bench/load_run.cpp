#include "bench/load_run.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "load/exit_code.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {
namespace {
// wsload's exit codes (load/exit_code.hpp) that still mean a measurement: ok, and errors counted.
constexpr int kWsloadOk = static_cast<int>(load::ExitCode::Ok);
constexpr int kWsloadErrors = static_cast<int>(load::ExitCode::Errors);
}  // namespace

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string last_line_of(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  const size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

void wait_for_stderr(const ChildProcess& child, bool stderr_open, std::chrono::milliseconds max_wait) {
  if (stderr_open) {
    pollfd p{child.stderr_fd(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(max_wait.count()));
  } else {
    std::this_thread::sleep_for(max_wait);
  }
}

namespace {

class LocalLoad final : public LoadRun {
 public:
  LocalLoad(std::vector<std::string> argv, fs::path stdout_path) : stdout_path_(std::move(stdout_path)) {
    SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.stdout_path = stdout_path_.string();
    spec.stderr_pipe = true;
    command_ = format_command({}, spec.argv);
    child_ = ChildProcess::spawn(spec);
  }

  bool wait(std::chrono::milliseconds max_wait) override {
    if (look()) return true;
    if (!markers_.empty()) return false;  // the caller samples the server at it now
    // What woke us is read before returning: a marker left for the next call would be acted on
    // only after that call's wait, max_wait late.
    wait_for_stderr(child_, stderr_open_, max_wait);
    return look();
  }

  std::vector<WindowMarker> take_markers() override { return std::exchange(markers_, {}); }

  void abort() override { child_.terminate(std::chrono::milliseconds(500)); }

  LoadResult finish() override {
    child_.drain_stderr(err_);
    if (!child_.status()) child_.terminate(std::chrono::milliseconds(500));
    LoadResult r;
    r.status = *child_.status();
    r.error_text = err_.substr(err_.size() > 2048 ? err_.size() - 2048 : 0);
    std::ifstream in(stdout_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      r.wsload = std::move(j);
      std::error_code ec;
      fs::remove(stdout_path_, ec);  // kept in the record; the logs keep only what is not
    }
    return r;
  }

 private:
  // Reads what wsload printed, picks out the markers; true once it has exited.
  bool look() {
    stderr_open_ = child_.drain_stderr(err_) && stderr_open_;
    scan_markers();
    return child_.poll().has_value();
  }

  void scan_markers() {
    size_t nl;
    while ((nl = err_.find('\n', scanned_)) != std::string::npos) {
      const std::string line = lower(err_.substr(scanned_, nl - scanned_));
      scanned_ = nl + 1;
      if (!saw_start_ && line.find("window start") != std::string::npos) {
        saw_start_ = true;
        markers_.push_back(WindowMarker::Start);
      } else if (saw_start_ && !saw_end_ && line.find("window end") != std::string::npos) {
        saw_end_ = true;
        markers_.push_back(WindowMarker::End);
      }
    }
  }

  fs::path stdout_path_;
  ChildProcess child_;
  std::string err_;
  size_t scanned_ = 0;
  bool stderr_open_ = true, saw_start_ = false, saw_end_ = false;
  std::vector<WindowMarker> markers_;
};

class ShardedLoad final : public LoadRun {
 public:
  ShardedLoad(LocustEngine& engine, std::string id, std::vector<ShardPlan> shards, double deadline_s, std::string wsload,
              fs::path dir)
      : engine_(engine), id_(std::move(id)), shards_(std::move(shards)), wsload_(std::move(wsload)), dir_(std::move(dir)) {
    fs::create_directories(dir_);
    for (const ShardPlan& s : shards_) {
      command_ += (command_.empty() ? "" : " ; ") + s.host + ": " + format_command({}, std::vector<std::string>{"wsload"}) + " " +
                  format_command({}, s.wsload_args);
    }
    engine_.submit(id_, shards_, deadline_s);
  }

  bool wait(std::chrono::milliseconds max_wait) override {
    if (!result_) result_ = engine_.result(id_, shards_);
    if (result_) return true;
    std::this_thread::sleep_for(max_wait);
    return false;
  }
  std::vector<WindowMarker> take_markers() override { return {}; }
  void abort() override {}  // the shards are bounded on their hosts by the plan's deadline

  LoadResult finish() override {
    if (!result_) result_ = engine_.result(id_, shards_);
    if (!result_) {
      LoadResult r;
      r.status = ExitStatus{ExitStatus::How::Exited, 5};
      r.error_text = "the load hosts' results did not arrive in time";
      return r;
    }
    return merge_shard_results(*result_, engine_.describe(), wsload_, dir_);
  }

 private:
  LocustEngine& engine_;
  std::string id_;
  std::vector<ShardPlan> shards_;
  std::string wsload_;
  fs::path dir_;
  std::optional<nlohmann::json> result_;
};

// What a shard's wsload JSON says, briefly, for the host's line in the record.
nlohmann::json shard_figures(const nlohmann::json& w) {
  auto at = [&](std::initializer_list<const char*> path) -> nlohmann::json {
    const nlohmann::json* cur = &w;
    for (const char* k : path) {
      if (!cur->is_object() || !cur->contains(k)) return nullptr;
      cur = &(*cur)[k];
    }
    return *cur;
  };
  return {{"msgs_per_sec", at({"msgs_per_sec"})},          {"messages", at({"messages"})},
          {"sent", at({"sent"})},                          {"latency_us", at({"latency_us"})},
          {"errors", at({"errors", "total"})},             {"connections", at({"connections", "established"})},
          {"load_cpu_us_per_msg", at({"cpu", "us_per_msg"})}, {"duration_s", at({"duration_s"})},
          {"foreign_deliveries", at({"broadcast", "foreign"})}};
}

}  // namespace

std::unique_ptr<LoadRun> start_local_load(std::vector<std::string> argv, const fs::path& stdout_path) {
  return std::make_unique<LocalLoad>(std::move(argv), stdout_path);
}

std::unique_ptr<LoadRun> start_sharded_load(LocustEngine& engine, std::string id, std::vector<ShardPlan> shards,
                                            double deadline_s, std::string wsload, fs::path dir) {
  return std::make_unique<ShardedLoad>(engine, std::move(id), std::move(shards), deadline_s, std::move(wsload), std::move(dir));
}

LoadResult merge_shard_results(const nlohmann::json& engine_result, const nlohmann::json& engine_description,
                               const std::string& wsload, const fs::path& dir) {
  LoadResult r;
  nlohmann::json hosts = nlohmann::json::array();
  std::vector<std::string> files, missing;
  bool any_errors = false;
  for (const auto& h : engine_result.value("hosts", nlohmann::json::array())) {
    const std::string name = h.value("host", std::string("?"));
    nlohmann::json entry = {{"name", name},           {"share", h.value("share", nlohmann::json(nullptr))},
                            {"status", h.value("status", std::string("no_result"))},
                            {"reason", h.value("reason", nlohmann::json(nullptr))},
                            {"exit_code", h.value("exit_code", nlohmann::json(nullptr))},
                            {"command", h.value("command", nlohmann::json(nullptr))},
                            {"figures", nullptr}};
    nlohmann::json w = nlohmann::json::parse(h.value("stdout", std::string()), nullptr, false);
    const int code = h.contains("exit_code") && h["exit_code"].is_number_integer() ? h["exit_code"].get<int>() : -1;
    const bool usable = entry["status"] == "ok" && !w.is_discarded() && w.is_object() && w.value("tool", "") == "wsload" &&
                        (code == kWsloadOk || code == kWsloadErrors);  // anything else: no measurement
    if (usable) {
      const fs::path file = dir / fmt::format("shard-{}.json", name);
      std::ofstream(file) << w.dump();
      files.push_back(file.string());
      entry["figures"] = shard_figures(w);
      any_errors = any_errors || code == kWsloadErrors;
    } else {
      if (entry["status"] == "ok") {
        entry["status"] = "failed";
        entry["reason"] = fmt::format("wsload exit {} without a usable result: {}", code, last_line_of(h.value("stderr_tail", std::string())));
      }
      missing.push_back(fmt::format("{} ({}: {})", name, entry["status"].get<std::string>(),
                                    entry["reason"].is_string() ? entry["reason"].get<std::string>() : std::string("no reason given")));
    }
    hosts.push_back(std::move(entry));
  }
  for (const auto& m : missing) r.partial += (r.partial.empty() ? "" : "; ") + m;
  r.distributed = engine_description;
  r.distributed.erase("hosts");
  r.distributed["connected_hosts"] = engine_description.value("hosts", nlohmann::json::object());
  r.distributed["hosts"] = hosts;
  r.distributed["partial"] = !missing.empty();
  r.distributed["missing"] = missing;
  r.distributed["merged_with"] = nullptr;
  r.status = ExitStatus{ExitStatus::How::Exited, any_errors ? 1 : 0};
  if (files.empty()) {
    r.status = ExitStatus{ExitStatus::How::Exited, 3};
    r.error_text = "no load host returned a result: " + r.partial;
    return r;
  }
  std::vector<std::string> argv = {wsload, "merge"};
  argv.insert(argv.end(), files.begin(), files.end());
  r.distributed["merged_with"] = format_command({}, argv);
  auto [st, out] = run_capture(argv, std::chrono::seconds(30));
  auto merged = nlohmann::json::parse(out, nullptr, false);
  if (!st.ok() || merged.is_discarded() || !merged.is_object()) {
    r.status = ExitStatus{ExitStatus::How::Exited, 6};
    r.error_text = fmt::format("wsload merge {}: {}", st.describe(), last_line_of(out));
    return r;
  }
  r.wsload = std::move(merged);
  return r;
}

}  // namespace wsalloc::bench
