#include "bench/measure.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + " ";
  return s;
}

TEST(Measure, wsload_args_for_a_closed_loop_echo) {
  LoadSpec l;
  l.connections = 100;
  l.pipeline = 16;
  l.payload = "32";
  l.duration_s = 1.5;
  l.warmup_s = 0.5;
  auto a = wsload_args(l, ScenarioKind::Echo, false, "127.0.0.1", 9001);
  EXPECT_EQ(joined(a),
            "--host 127.0.0.1 --port 9001 --path / --connections 100 --threads 1 --payload 32 --pipeline 16 "
            "--duration 1.5 --warmup 0.5 --json --quiet ");
}

TEST(Measure, wsload_args_for_open_loop_text_fragments_and_raw) {
  LoadSpec l;
  l.rate = 12345.678;
  l.text = true;
  l.fragments = 4;
  auto a = wsload_args(l, ScenarioKind::LatencyAtRate, false, "::1", 1);
  EXPECT_TRUE(has(a, "--text"));
  EXPECT_TRUE(has(a, "12345.678"));
  EXPECT_FALSE(has(a, "--pipeline"));
  EXPECT_TRUE(has(a, "--fragments"));
  auto raw = wsload_args(l, ScenarioKind::Echo, true, "127.0.0.1", 1);
  EXPECT_TRUE(has(raw, "--raw"));
  EXPECT_FALSE(has(raw, "--fragments"));
  EXPECT_FALSE(has(raw, "--path"));
}

TEST(Measure, wsload_args_for_compression) {
  LoadSpec l;
  l.json_text = true;
  l.deflate = true;
  auto a = wsload_args(l, ScenarioKind::Echo, false, "127.0.0.1", 1);
  EXPECT_TRUE(has(a, "--json-text"));
  EXPECT_TRUE(has(a, "--deflate"));
  auto idle = wsload_args(l, ScenarioKind::Idle, false, "127.0.0.1", 1);
  EXPECT_TRUE(has(idle, "--deflate")) << "idle compressed connections still negotiate it";
  EXPECT_FALSE(has(idle, "--json-text"));
  EXPECT_FALSE(has(wsload_args(l, ScenarioKind::Echo, true, "127.0.0.1", 1), "--deflate")) << "raw TCP has no handshake";
}

TEST(Measure, wsload_args_for_idle_churn_and_broadcast) {
  LoadSpec l;
  l.connections = 10000;
  auto idle = wsload_args(l, ScenarioKind::Idle, false, "127.0.0.1", 1);
  EXPECT_TRUE(has(idle, "--idle"));
  EXPECT_FALSE(has(idle, "--payload"));
  EXPECT_FALSE(has(idle, "--pipeline"));
  l.churn = 10;
  EXPECT_TRUE(has(wsload_args(l, ScenarioKind::Churn, false, "127.0.0.1", 1), "--churn"));
  l.churn = 0;
  l.path = "/broadcast";
  auto b = wsload_args(l, ScenarioKind::Broadcast, false, "127.0.0.1", 1);
  EXPECT_TRUE(has(b, "--broadcast"));
  EXPECT_TRUE(has(b, "/broadcast"));
}

nlohmann::json wsload_json(double messages, double sent, double duration, double cpu_user) {
  return {{"messages", messages},
          {"sent", sent},
          {"msgs_per_sec", messages / duration},
          {"mb_per_sec", messages * 32 / duration / 1e6},
          {"duration_s", duration},
          {"latency_us", {{"p50", 40.0}, {"p90", 50.0}, {"p99", 80.0}, {"p999", 120.0}, {"p9999", 300.0}, {"max", 900.0}}},
          {"errors", {{"total", 0}, {"client_backlog", 0}}},
          {"connections", {{"requested", 100}, {"established", 100}}},
          {"cpu", {{"user_s", cpu_user}, {"sys_s", 0.0}, {"us_per_msg", cpu_user * 1e6 / messages}}},
          {"handshakes_per_sec", 0},
          {"window_handshakes", 0},
          {"behind_schedule", 0}};
}

TEST(Measure, metrics_from_a_marked_window) {
  RunRecord rec;
  ServerWindow w;
  w.cpu_s = 0.5;
  w.wall_s = 1.0;
  w.rss_start_kib = 1000;
  w.rss_max_kib = 1100;
  w.hwm_kib = 1200;
  w.source = WindowSource::Markers;
  compute_metrics(rec, wsload_json(100000, 120000, 1.0, 0.4), w, {}, ScenarioKind::Echo, MeasureEnv{});
  EXPECT_DOUBLE_EQ(*rec.metrics.get("msgs_per_sec"), 100000);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("server_cpu_us_per_msg"), 5.0);  // 0.5 s / 100k messages
  EXPECT_DOUBLE_EQ(*rec.metrics.get("msgs_per_server_cpu_sec"), 200000);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("server_cpu_util"), 0.5);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("rss_per_conn_bytes"), 100.0 * 1024 / 100);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("latency_p99_us"), 80);
  EXPECT_FALSE(rec.metrics.has("allocations_per_msg"));  // not a counting pass: not measured
  EXPECT_FALSE(rec.metrics.has("offered_rate"));          // closed loop
  EXPECT_TRUE(rec.flags.empty());
}

TEST(Measure, lifetime_window_divides_by_all_messages_sent_and_is_flagged) {
  RunRecord rec;
  ServerWindow w;
  w.cpu_s = 0.6;
  w.wall_s = 2.0;
  w.source = WindowSource::Process;
  compute_metrics(rec, wsload_json(100000, 120000, 1.0, 0.4), w, {}, ScenarioKind::Echo, MeasureEnv{});
  EXPECT_DOUBLE_EQ(*rec.metrics.get("server_cpu_us_per_msg"), 5.0);  // 0.6 s / 120k sent
  EXPECT_TRUE(std::find(rec.flags.begin(), rec.flags.end(), "window_is_wsload_lifetime") != rec.flags.end());
}

TEST(Measure, busy_load_generator_with_idle_server_is_flagged_saturated) {
  RunRecord rec;
  ServerWindow w;
  w.cpu_s = 0.3;
  w.wall_s = 1.0;
  w.source = WindowSource::Markers;
  compute_metrics(rec, wsload_json(50000, 50000, 1.0, 0.97), w, {}, ScenarioKind::Echo, MeasureEnv{});
  EXPECT_TRUE(std::find(rec.flags.begin(), rec.flags.end(), "load_generator_saturated") != rec.flags.end());
  RunRecord busy_server;
  w.cpu_s = 0.95;
  compute_metrics(busy_server, wsload_json(50000, 50000, 1.0, 0.97), w, {}, ScenarioKind::Echo, MeasureEnv{});
  EXPECT_TRUE(busy_server.flags.empty());
}

TEST(Measure, counting_pass_gives_allocations_per_message_and_no_timing) {
  RunRecord rec;
  rec.pass = RunPass::Count;
  ServerWindow w;
  w.cpu_s = 0.5;
  w.wall_s = 1.0;
  w.source = WindowSource::Markers;
  CountDelta c{true, 300000, 299990, 9600000};
  compute_metrics(rec, wsload_json(100000, 100000, 1.0, 0.4), w, c, ScenarioKind::Echo, MeasureEnv{});
  EXPECT_DOUBLE_EQ(*rec.metrics.get("allocations_per_msg"), 3.0);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("alloc_bytes_per_msg"), 96.0);
  EXPECT_FALSE(rec.metrics.has("server_cpu_us_per_msg"));  // the counter taxes the server: not timed
}

TEST(Measure, idle_records_memory_per_connection_not_throughput) {
  RunRecord rec;
  ServerWindow w;
  w.cpu_s = 0.01;
  w.wall_s = 2.0;
  w.rss_start_kib = 4000;
  w.rss_max_kib = 4000 + 10000;  // 10,000 KiB over 10,000 connections
  w.source = WindowSource::Markers;
  nlohmann::json j = {{"messages", 0}, {"sent", 0}, {"duration_s", 2.0}, {"connections", {{"established", 10000}}},
                      {"errors", {{"total", 0}}}, {"cpu", {{"user_s", 0.1}, {"sys_s", 0.1}}}};
  compute_metrics(rec, j, w, {}, ScenarioKind::Idle, MeasureEnv{});
  EXPECT_DOUBLE_EQ(*rec.metrics.get("rss_per_conn_bytes"), 1024);
  EXPECT_FALSE(rec.metrics.has("msgs_per_sec"));
  EXPECT_FALSE(rec.metrics.has("server_cpu_us_per_msg"));
}

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

RunRecord count_run(double sent, double allocations, double bytes) {
  RunRecord r;
  r.pass = RunPass::Count;
  r.status = RunStatus::Ok;
  r.flags = {"window_is_wsload_lifetime"};
  r.wsload = {{"sent", sent}, {"handshakes", 100}, {"connections", {{"established", 100}}}};
  r.counters = {{"allocations", allocations}, {"frees", allocations}, {"bytes_allocated", bytes}};
  r.metrics.set("allocations_per_msg", allocations / sent);  // polluted by set-up
  return r;
}

TEST(Measure, differential_count_cancels_setup_and_teardown_exactly) {
  // 100 connections cost 1,000 allocations to set up and tear down; each message costs 3.
  RunRecord long_run = count_run(50000, 1000 + 3 * 50000, 96.0 * 50000 + 4000);
  RunRecord short_run = count_run(20000, 1000 + 3 * 20000, 96.0 * 20000 + 4000);
  ASSERT_TRUE(combine_count_runs(long_run, short_run, ScenarioKind::Echo));
  EXPECT_DOUBLE_EQ(*long_run.metrics.get("allocations_per_msg"), 3.0);
  EXPECT_DOUBLE_EQ(*long_run.metrics.get("alloc_bytes_per_msg"), 96.0);
  EXPECT_EQ(long_run.counters["units_short"], 20000);
  EXPECT_TRUE(std::find(long_run.flags.begin(), long_run.flags.end(), "counted_differentially") != long_run.flags.end());
  EXPECT_TRUE(std::find(long_run.flags.begin(), long_run.flags.end(), "window_is_wsload_lifetime") == long_run.flags.end());

  // A zero-allocation steady state reads exactly 0, however much set-up allocated.
  RunRecord zl = count_run(50000, 700, 1e6), zs = count_run(20000, 700, 1e6);
  ASSERT_TRUE(combine_count_runs(zl, zs, ScenarioKind::Echo));
  EXPECT_EQ(*zl.metrics.get("allocations_per_msg"), 0.0);
}

TEST(Measure, differential_count_refuses_unusable_pairs) {
  RunRecord a = count_run(20000, 100, 100), b = count_run(20000, 100, 100);
  EXPECT_FALSE(combine_count_runs(a, b, ScenarioKind::Echo));  // no more messages in the long run
  RunRecord failed = count_run(10000, 100, 100);
  failed.status = RunStatus::Failed;
  EXPECT_FALSE(combine_count_runs(a, failed, ScenarioKind::Echo));
  EXPECT_DOUBLE_EQ(*a.metrics.get("allocations_per_msg"), 100.0 / 20000);  // left as it was
}

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

// A server that follows the CLI contract: prints "listening on", exits 0 on SIGTERM.
Target listening_fake_server(const testing::TempDir& dir) {
  Target server;
  server.name = "fake";
  server.argv = {testing::write_script(dir.path() / "server.sh",
      "exec /usr/bin/python3 -c \"\n"
      "import socket, sys, time, signal\n"
      "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
      "print('listening on 127.0.0.1:%d' % s.getsockname()[1], flush=True)\n"
      "time.sleep(30)\n\"").string()};
  return server;
}

// measure_run's environment with `wsload` standing in for wsload, nothing pinned.
MeasureEnv unpinned_env(const testing::TempDir& dir, const std::filesystem::path& wsload) {
  MeasureEnv env;
  env.wsload = wsload.string();
  env.server_cpu = -1;
  env.load_cpu = -1;
  env.workdir = dir.path() / "logs";
  return env;
}

// measure_run with stand-ins: a server that follows the CLI contract, and a "wsload" that marks
// its measured window on stderr the way wsbench expects wsload to ("wsload: window start/end").
TEST(Measure, window_markers_on_wsload_stderr_delimit_the_server_window) {
  testing::TempDir dir;
  Target server = listening_fake_server(dir);
  const auto load = testing::write_script(dir.path() / "wsload.sh",
      "sleep 0.1\n"
      "echo 'wsload: window start' >&2\n"
      "sleep 0.4\n"
      "echo 'wsload: window end' >&2\n"
      "echo '{\"messages\": 1000, \"sent\": 1200, \"msgs_per_sec\": 2500, \"duration_s\": 0.4,"
      " \"errors\": {\"total\": 0}, \"connections\": {\"established\": 1}, \"cpu\": {\"user_s\": 0.01, \"sys_s\": 0}}'");
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/s.toml");
  MeasureEnv env = unpinned_env(dir, load);
  MeasureRequest req;
  req.scenario = &s;
  req.kase = &s.cases[0];
  req.target = &server;
  req.load = s.cases[0].load;
  RunRecord rec = measure_run(env, req);
  ASSERT_EQ(rec.status, RunStatus::Ok) << rec.reason;
  EXPECT_EQ(rec.window, WindowSource::Markers);
  EXPECT_GE(rec.window_s, 0.35);
  EXPECT_LT(rec.window_s, 0.9);
  EXPECT_DOUBLE_EQ(*rec.metrics.get("msgs_per_sec"), 2500);
  EXPECT_TRUE(rec.metrics.has("server_cpu_us_per_msg"));  // CPU over the marked window / 1000 messages
  EXPECT_TRUE(std::find(rec.flags.begin(), rec.flags.end(), "window_is_wsload_lifetime") == rec.flags.end());
  EXPECT_EQ(rec.server_exit["clean"], true);
}

TEST(Measure, wsload_failure_is_a_failed_record_with_its_reason) {
  testing::TempDir dir;
  Target server = listening_fake_server(dir);
  const auto load = testing::write_script(dir.path() / "wsload.sh", "echo 'wsload: no connection could be established' >&2; exit 3");
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/s.toml");
  MeasureEnv env = unpinned_env(dir, load);
  MeasureRequest req{&s, &s.cases[0], &server, s.cases[0].load, 1, RunPass::Time, 1};
  RunRecord rec = measure_run(env, req);
  EXPECT_EQ(rec.status, RunStatus::Failed);
  EXPECT_NE(rec.reason.find("exit 3"), std::string::npos) << rec.reason;
  EXPECT_NE(rec.reason.find("no connection could be established"), std::string::npos) << rec.reason;
}

TEST(Measure, start_record_names_the_run_and_gives_the_target_its_own_echo_path) {
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/s.toml");
  Target t;
  t.name = "mine";
  t.echo_path = "/echo";
  MeasureRequest req{&s, &s.cases[0], &t, s.cases[0].load, 3, RunPass::Count, 7};
  const RunRecord rec = start_record(req);
  EXPECT_EQ(rec.scenario, "s");
  EXPECT_EQ(rec.case_name, "default");
  EXPECT_EQ(rec.target, "mine");
  EXPECT_EQ(rec.repetition, 3u);
  EXPECT_EQ(rec.pass, RunPass::Count);
  EXPECT_EQ(rec.load.path, "/echo");
  EXPECT_FALSE(rec.started_utc.empty());
}

TEST(Measure, finish_record_stamps_status_reason_and_the_wall_time_since_the_start) {
  RunRecord rec;
  const auto started = std::chrono::steady_clock::now() - std::chrono::milliseconds(250);
  const RunRecord out = finish_record(rec, started, RunStatus::Failed, "server: gone");
  EXPECT_EQ(out.status, RunStatus::Failed);
  EXPECT_EQ(out.reason, "server: gone");
  EXPECT_EQ(rec.reason, "server: gone");  // the record itself is finished too, not only the copy
  EXPECT_GE(out.wall_s, 0.25);
}

TEST(Measure, a_counting_pass_without_the_counter_library_is_skipped_before_the_server_starts) {
  testing::TempDir dir;
  Target server = listening_fake_server(dir);
  Scenario s = parse_scenario_text("description = \"d\"\nkind = \"echo\"\n", "scenarios/s.toml");
  MeasureEnv env = unpinned_env(dir, "/bin/false");
  MeasureRequest req{&s, &s.cases[0], &server, s.cases[0].load, 1, RunPass::Count, 1};
  RunRecord rec = measure_run(env, req);
  EXPECT_EQ(rec.status, RunStatus::Skipped);
  EXPECT_NE(rec.reason.find("no counter library"), std::string::npos) << rec.reason;
  EXPECT_TRUE(rec.server_command.empty());
}

}  // namespace
}  // namespace wsalloc::bench
