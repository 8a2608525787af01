// Load from several hosts, here all this machine (loopback, the Locust workers named h1..h3): the
// merge of shards (exact, every host named, missing ones reported), a whole `wsbench run
// --load-hosts` of an echo and a broadcast case, and a load host killed by its PID mid-run (its
// share missing, the run partial and out of the medians). `make bench-distributed` does the same
// across network namespaces.
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/child_process.hpp"
#include "bench/load_run.hpp"
#include "bench/server_launch.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kBin = WSBENCH_BIN_DIR;
const fs::path kLocustfile = fs::path(WSALLOC_SOURCE_DIR) / "harness" / "bench" / "distributed" / "locustfile.py";

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A zerocopy wsalloc-server on a free loopback port (killed by the ChildProcess destructor).
struct Server {
  ChildProcess child;
  uint16_t port = 0;
};
Server start_server(const fs::path& dir) {
  SpawnSpec s;
  s.argv = {kBin + "/wsalloc-server", "--variant", "zerocopy", "--host", "127.0.0.1", "--port", "0"};
  s.stdout_path = (dir / "server.out").string();
  Server srv{ChildProcess::spawn(s)};
  for (int i = 0; i < 200 && srv.port == 0; ++i) {
    std::this_thread::sleep_for(25ms);
    srv.port = parse_listening_port(read_all(dir / "server.out"));
  }
  return srv;
}

nlohmann::json run_wsload(uint16_t port, int connections) {
  auto [st, out] = run_capture({kBin + "/wsload", "--port", std::to_string(port), "--connections", std::to_string(connections),
                                "--duration", "0.3", "--json", "--quiet"},
                               30s);
  EXPECT_TRUE(st.ok()) << st.describe();
  return nlohmann::json::parse(out);
}

TEST(DistributedLoad, merging_shards_is_exact_and_names_missing_hosts) {
  testing::TempDir dir;
  Server srv = start_server(dir.path());
  ASSERT_NE(srv.port, 0);
  const nlohmann::json a = run_wsload(srv.port, 3), b = run_wsload(srv.port, 2);
  const nlohmann::json result = {
      {"id", "0001"},
      {"hosts",
       {{{"host", "h1"}, {"status", "ok"}, {"exit_code", 0}, {"stdout", a.dump()}, {"share", {{"shard", "1/4"}}}},
        {{"host", "h2"}, {"status", "ok"}, {"exit_code", 1}, {"stdout", b.dump()}, {"share", {{"shard", "2/4"}}}},
        {{"host", "h3"}, {"status", "lost"}, {"reason", "its worker stopped answering"}, {"share", {{"shard", "3/4"}}}},
        {{"host", "h4"}, {"status", "ok"}, {"exit_code", 3}, {"stdout", ""}, {"stderr_tail", "wsload: connection refused\n"}}}}};
  const LoadResult r = merge_shard_results(result, {{"engine", "locust"}, {"hosts", nlohmann::json::object()}},
                                           kBin + "/wsload", dir.path());
  ASSERT_TRUE(r.wsload.is_object()) << r.error_text;
  EXPECT_EQ(r.wsload["messages"], a["messages"].get<uint64_t>() + b["messages"].get<uint64_t>());
  EXPECT_EQ(r.wsload["histogram"]["count"], a["histogram"]["count"].get<uint64_t>() + b["histogram"]["count"].get<uint64_t>());
  EXPECT_DOUBLE_EQ(r.wsload["msgs_per_sec"].get<double>(), a["msgs_per_sec"].get<double>() + b["msgs_per_sec"].get<double>());
  EXPECT_EQ(r.wsload["rates"], "sum_of_shards");
  EXPECT_EQ(r.status.code, 1) << "a shard that counted errors makes the merge one that did";
  EXPECT_TRUE(r.distributed["partial"].get<bool>());
  EXPECT_NE(r.partial.find("h3 (lost: its worker stopped answering)"), std::string::npos) << r.partial;
  EXPECT_NE(r.partial.find("h4 (failed: wsload exit 3 without a usable result: wsload: connection refused)"), std::string::npos)
      << r.partial;
  ASSERT_EQ(r.distributed["hosts"].size(), 4u);
  EXPECT_EQ(r.distributed["hosts"][0]["figures"]["messages"], a["messages"]);
  EXPECT_TRUE(r.distributed["hosts"][2]["figures"].is_null());
  EXPECT_EQ(r.distributed["hosts"][3]["status"], "failed");
  EXPECT_NE(r.distributed["merged_with"].get<std::string>().find("shard-h1.json"), std::string::npos);

  const LoadResult none = merge_shard_results({{"hosts", {result["hosts"][2]}}}, nlohmann::json::object(), kBin + "/wsload", dir.path());
  EXPECT_TRUE(none.wsload.is_null());
  EXPECT_NE(none.error_text.find("no load host returned a result"), std::string::npos);
}

// Three Locust workers on this machine, named h1..h3, killed (by PID) when the test ends.
struct Workers {
  uint16_t port = free_port();
  std::vector<ChildProcess> procs;
  Workers(const fs::path& dir) {
    const auto locust = find_on_path("locust");
    if (!locust) throw std::runtime_error("locust is not on PATH: scripts/install-deps.sh installs python3-locust");
    for (const char* h : {"h1", "h2", "h3"}) {
      SpawnSpec s;
      s.argv = {*locust, "-f", kLocustfile.string(), "--worker", "--master-host", "127.0.0.1", "--master-port", std::to_string(port),
                "--wsalloc-host", h, "--wsalloc-wsload", kBin + "/wsload", "--loglevel", "INFO",
                "--logfile", (dir / (std::string("worker-") + h + ".log")).string()};
      s.stdout_path = (dir / (std::string("worker-") + h + ".out")).string();
      s.stderr_path = s.stdout_path + ".err";
      procs.push_back(ChildProcess::spawn(s));
    }
  }
};

const char* kEcho = R"(
description = "echo, 12 connections, for the distributed test"
kind = "echo"
[load]
connections = 12
payload = 32
duration = DURATION
warmup = 0.2
)";

const char* kBroadcast = R"(
description = "broadcast, 1 publisher per host, 30 receivers, for the distributed test"
kind = "broadcast"
[load]
connections = 30
rate = 300
payload = 64
path = "/broadcast"
duration = 0.8
warmup = 0.3
[requires]
features = ["broadcast"]
)";

std::string with_duration(std::string text, const char* d) { return text.replace(text.find("DURATION"), 8, d); }

std::vector<std::string> wsbench_run(const fs::path& dir, uint16_t master_port, std::vector<std::string> more) {
  std::vector<std::string> a = {kBin + "/wsbench", "--scenario-dir", (dir / "scenarios").string(), "run", "--targets", "zerocopy",
                                "--load-hosts", "h1,h2,h3", "--load-master", "127.0.0.1:" + std::to_string(master_port),
                                "--load-wait", "90", "--out", (dir / "results").string(), "--no-instructions"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

nlohmann::json results_of(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir / "results" / "runs")) return nlohmann::json::parse(read_all(e.path() / "results.json"));
  return nullptr;
}

TEST(DistributedLoad, wsbench_splits_echo_and_broadcast_over_three_hosts_and_merges_them) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "dist-echo.toml", with_duration(kEcho, "0.6"));
  testing::write_file(dir.path() / "scenarios" / "dist-broadcast.toml", kBroadcast);
  Workers workers(dir.path());
  auto [st, out] = run_capture(wsbench_run(dir.path(), workers.port, {"--repetitions", "1", "--count-duration", "0.4"}), 170s);
  ASSERT_TRUE(st.ok()) << st.describe() << "\n" << out;
  const nlohmann::json j = results_of(dir.path());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["settings"]["load"]["engine"], "locust");
  EXPECT_EQ(j["settings"]["load"]["hosts"].size(), 3u);
  int checked = 0;
  for (const auto& r : j["records"]) {
    if (r["target"] != "zerocopy" || r["repetition"] == 0) continue;
    ASSERT_EQ(r["status"], "ok") << r["reason"] << r["distributed"].dump(1);
    const auto& d = r["distributed"];
    ASSERT_EQ(d["hosts"].size(), 3u);
    EXPECT_FALSE(d["partial"].get<bool>());
    uint64_t messages = 0, connections = 0;
    double rate = 0;
    for (const auto& h : d["hosts"]) {
      EXPECT_EQ(h["status"], "ok") << h.dump();
      messages += h["figures"]["messages"].get<uint64_t>();
      connections += h["figures"]["connections"].get<uint64_t>();
      rate += h["figures"]["msgs_per_sec"].get<double>();
      EXPECT_GT(h["figures"]["messages"].get<uint64_t>(), 0u) << h["name"];
    }
    EXPECT_EQ(r["wsload"]["messages"], messages) << "the record's figures are the shards' merge";
    EXPECT_NEAR(r["wsload"]["msgs_per_sec"].get<double>(), rate, 1e-6 * rate);
    EXPECT_EQ(r["wsload"]["errors"]["total"], 0) << r["wsload"]["first_errors"];
    if (r["scenario"] == "dist-echo") {
      EXPECT_EQ(connections, 12u);
      EXPECT_EQ(d["hosts"][0]["share"]["connections"], 4);
    } else {
      EXPECT_EQ(connections, 30u + 3u) << "30 receivers and a publisher per host";
      EXPECT_GT(r["wsload"]["broadcast"]["foreign"].get<uint64_t>(), 0u) << "each host's receivers got the others' messages";
    }
    if (r["pass"] == "count") {
      EXPECT_TRUE(r["metrics"]["allocations_per_msg"]["value"].is_number()) << r.dump(1);
    }
    ++checked;
  }
  EXPECT_GE(checked, 4) << "a time and a counting pass of each scenario";
}

TEST(DistributedLoad, a_load_host_killed_mid_run_is_reported_missing_and_the_run_partial) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "dist-echo.toml", with_duration(kEcho, "6"));
  Workers workers(dir.path());
  SpawnSpec spec;
  spec.argv = wsbench_run(dir.path(), workers.port, {"--repetitions", "1", "--no-count"});
  spec.stdout_path = (dir.path() / "wsbench.out").string();
  spec.stderr_path = (dir.path() / "wsbench.err").string();
  ChildProcess wsbench = ChildProcess::spawn(spec);

  // Wait until h2's worker runs its wsload shard, then kill the worker, as a host that dies would.
  const pid_t h2 = workers.procs[1].pid();
  const fs::path children = fs::path("/proc") / std::to_string(h2) / "task" / std::to_string(h2) / "children";
  pid_t shard = 0;
  for (int i = 0; i < 1200 && shard == 0 && wsbench.running(); ++i) {
    std::this_thread::sleep_for(50ms);
    std::istringstream kids(read_all(children));
    for (pid_t k; shard == 0 && kids >> k;) {
      if (read_all(fs::path("/proc") / std::to_string(k) / "comm") == "wsload\n") shard = k;  // not its dpkg-query
    }
    wsbench.poll();
  }
  ASSERT_NE(shard, 0) << "h2 never started its shard: " << read_all(dir.path() / "wsbench.err");
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(::kill(h2, SIGKILL), 0);
  workers.procs[1].wait_for(5s);

  ASSERT_TRUE(wsbench.wait_for(120s).has_value()) << "wsbench did not finish";
  EXPECT_TRUE(wsbench.status()->ok()) << wsbench.status()->describe() << read_all(dir.path() / "wsbench.err");
  EXPECT_NE(::kill(shard, 0), 0) << "the dead host's wsload died with its worker";

  const nlohmann::json j = results_of(dir.path());
  const nlohmann::json* rec = nullptr;
  for (const auto& r : j["records"]) {
    if (r["target"] == "zerocopy" && r["repetition"] == 1) rec = &r;
  }
  ASSERT_TRUE(rec) << j.dump(1);
  const auto& r = *rec;
  EXPECT_EQ(r["status"], "errors");
  EXPECT_NE(std::find(r["flags"].begin(), r["flags"].end(), "partial_load"), r["flags"].end()) << r["flags"];
  EXPECT_NE(r["reason"].get<std::string>().find("h2 (lost: its worker stopped answering Locust's heartbeat"), std::string::npos)
      << r["reason"];
  const auto& d = r["distributed"];
  EXPECT_TRUE(d["partial"].get<bool>());
  EXPECT_EQ(d["hosts"][1]["status"], "lost");
  EXPECT_EQ(d["hosts"][1]["share"]["connections"], 4) << "the missing share is named with its size";
  uint64_t messages = 0;
  for (int i : {0, 2}) {
    EXPECT_EQ(d["hosts"][i]["status"], "ok");
    messages += d["hosts"][i]["figures"]["messages"].get<uint64_t>();
  }
  EXPECT_EQ(r["wsload"]["messages"], messages) << "the merge is of the hosts that answered, and says so";
  EXPECT_EQ(r["wsload"]["connections"]["requested"], 8);
  for (const auto& row : j["summary"]) {
    if (row["target"] != "zerocopy") continue;
    EXPECT_TRUE(row["metrics"]["msgs_per_sec"]["median"].is_null()) << "a partial run is not a measurement of the load";
    EXPECT_NE(row["flags"].dump().find("partial_load"), std::string::npos) << row.dump(1);
  }
}

}  // namespace
}  // namespace wsalloc::bench
