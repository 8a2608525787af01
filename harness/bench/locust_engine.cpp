#include "bench/locust_engine.hpp"

#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/core.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace wsalloc::bench {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(50);
constexpr auto kMasterStopGrace = std::chrono::milliseconds(5000);

std::optional<nlohmann::json> read_json(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

void write_json_atomic(const fs::path& file, const nlohmann::json& j) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, file);
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

std::string package_version() {
  auto [st, out] = run_capture({"dpkg-query", "-W", "-f=${Version}", "python3-locust"}, std::chrono::seconds(10));
  return st.ok() && !out.empty() ? out : std::string("unknown");
}

}  // namespace

std::string tail_of_file(const fs::path& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string s;
  for (const auto& l : last) s += (s.empty() ? "" : "\n") + l;
  return s;
}

std::unique_ptr<LocustEngine> LocustEngine::start(const LocustEngineConfig& config) {
  std::unique_ptr<LocustEngine> e(new LocustEngine());
  e->config_ = config;
  const LoadHostsConfig& h = config.hosts;
  fs::create_directories(config.control_dir);
  const auto n = std::to_string(h.names.size());
  SpawnSpec spec;
  spec.argv = {config.locust, "-f", config.locustfile.string(), "--master", "--headless",
               // Locust wants a user per worker to "run"; ours idle (the shards run beside them).
               "--expect-workers", n, "-u", n, "-r", n,
               "--expect-workers-max-wait", fmt::format("{:.0f}", h.wait_s + 5),
               "--master-bind-host", h.master_bind, "--master-bind-port", std::to_string(h.master_port),
               "--wsalloc-control", config.control_dir.string(), "--wsalloc-hosts", joined(h.names),
               "--only-summary", "--loglevel", "INFO", "--logfile", (config.control_dir / "master.log").string()};
  spec.stdout_path = (config.control_dir / "master.out").string();
  spec.stderr_path = (config.control_dir / "master.err").string();
  e->command_ = format_command({}, spec.argv);
  e->master_ = ChildProcess::spawn(spec);

  const auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(h.wait_s));
  while (true) {
    if (auto ready = read_json(config.control_dir / "ready.json")) {
      e->description_ = {{"engine", "locust"},
                         {"version", package_version()},
                         {"master", fmt::format("{}:{}", h.master_bind, h.master_port)},
                         {"master_command", e->command_},
                         {"hosts", (*ready)["hosts"]}};
      if (!(*ready)["conflicts"].empty()) throw std::runtime_error("load hosts: " + (*ready)["conflicts"].dump());
      return e;
    }
    if (std::string why = e->engine_failure(); !why.empty()) throw std::runtime_error(why);
    if (Clock::now() > give_up) {
      std::vector<std::string> missing;
      const auto seen = read_json(config.control_dir / "hosts.json").value_or(nlohmann::json::object());
      for (const auto& name : h.names) {
        if (!seen.contains("hosts") || !seen["hosts"].contains(name)) missing.push_back(name);
      }
      throw std::runtime_error(fmt::format(
          "load hosts {} did not connect to the Locust master on {}:{} within {:.0f} s (start `locust -f {} --worker "
          "--master-host <this machine> --master-port {} --wsalloc-host NAME` on each); master log: {}",
          joined(missing), h.master_bind, h.master_port, h.wait_s, config.locustfile.string(), h.master_port,
          (config.control_dir / "master.log").string()));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

LocustEngine::~LocustEngine() {
  if (master_.running()) master_.terminate(kMasterStopGrace);
}

std::string LocustEngine::engine_failure() {
  if (auto err = read_json(config_.control_dir / "error.json")) return "Locust master: " + (*err)["error"].dump();
  if (master_.poll()) {
    return fmt::format("the Locust master exited ({}): {}", master_.status()->describe(),
                       tail_of_file(config_.control_dir / "master.log", 5) + tail_of_file(config_.control_dir / "master.err", 5));
  }
  return {};
}

void LocustEngine::submit(const std::string& id, const std::vector<ShardPlan>& shards, double deadline_s) {
  nlohmann::json plan = {{"id", id}, {"deadline_s", deadline_s}, {"shards", nlohmann::json::array()}};
  for (const ShardPlan& s : shards) plan["shards"].push_back({{"host", s.host}, {"share", s.share}, {"args", s.wsload_args}});
  write_json_atomic(config_.control_dir / fmt::format("plan-{}.json", id), plan);
}

std::optional<nlohmann::json> LocustEngine::result(const std::string& id, const std::vector<ShardPlan>& shards) {
  if (auto r = read_json(config_.control_dir / fmt::format("result-{}.json", id))) return r;
  const std::string why = engine_failure();
  if (why.empty()) return std::nullopt;
  nlohmann::json r = {{"id", id}, {"hosts", nlohmann::json::array()}};
  for (const ShardPlan& s : shards) r["hosts"].push_back({{"host", s.host}, {"share", s.share}, {"status", "engine_failed"}, {"reason", why}});
  return r;
}

}  // namespace wsalloc::bench
