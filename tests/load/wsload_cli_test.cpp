// The wsload binary end to end: against the fixture server in each of its modes (correct and
// misbehaving), and against wsalloc-server / wsalloc-rawecho when those targets exist. Every run
// is bounded: short --duration and --drain, --hard-timeout, and a kill after 40 s.
#include "process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#ifndef WSLOAD_BIN
#error "WSLOAD_BIN must name the wsload binary"
#endif
#ifndef WSLOAD_FIXTURE_BIN
#error "WSLOAD_FIXTURE_BIN must name the fixture server binary"
#endif

namespace wsalloc::load {
namespace {

struct Outcome {
  int exit_code = -1;
  nlohmann::json j;  // null when stdout was not one JSON object
  std::string err;
  std::string out;
};

Outcome wsload(std::vector<std::string> args) {
  if (std::find(args.begin(), args.end(), "--hard-timeout") == args.end()) args.insert(args.begin(), {"--hard-timeout", "20"});
  args.insert(args.begin(), {WSLOAD_BIN, "--json", "--quiet"});
  const auto r = test::run_to_completion(args, std::chrono::seconds(40));
  Outcome o{r.exit_code, nullptr, r.err, r.out};
  EXPECT_FALSE(r.timed_out) << "wsload overran its own hard timeout";
  try {
    o.j = nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
  }
  return o;
}

test::Server fixture(const std::string& mode, int nth = 50, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {WSLOAD_FIXTURE_BIN, "--mode", mode, "--nth", std::to_string(nth), "--lifetime", "90"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string error;
  auto s = test::Server::start(argv, error);
  if (!s) throw std::runtime_error(error);
  return std::move(*s);
}

std::vector<std::string> short_run(uint16_t port, std::vector<std::string> more = {}) {
  std::vector<std::string> a = {"--port", std::to_string(port), "--duration", "0.5", "--drain", "0.5"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

uint64_t err(const Outcome& o, const char* kind) { return o.j.at("errors").at(kind).get<uint64_t>(); }

#define ASSERT_JSON(o) ASSERT_TRUE((o).j.is_object()) << "no JSON on stdout; stderr: " << (o).err

// ------------------------------------------------------------------------- correct servers

TEST(WsloadCli, correct_server_gives_messages_and_no_errors) {
  auto s = fixture("echo");
  const auto o = wsload(short_run(s.port(), {"--connections", "4", "--threads", "2", "--pipeline", "8"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
  EXPECT_EQ(err(o, "total"), 0u);
  EXPECT_EQ(o.j["handshakes"], 4);
  EXPECT_EQ(o.j["histogram"]["count"], o.j["messages"]);
  EXPECT_GT(o.j["latency_us"]["p50"].get<double>(), 0.0);
  EXPECT_GE(o.j["latency_us"]["p9999"].get<double>(), o.j["latency_us"]["p50"].get<double>());
}

TEST(WsloadCli, text_fragmented_size_mix_is_verified_clean) {
  auto s = fixture("echo");
  const auto o = wsload(short_run(s.port(), {"--text", "--fragments", "3", "--payload", "0,1,7,8,9,100,5000,70000",
                                             "--weights", "5,5,5,5,5,50,20,5", "--pipeline", "4"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
  EXPECT_EQ(err(o, "total"), 0u);
}

TEST(WsloadCli, server_fragmented_echoes_and_pings_are_handled) {
  auto frag = fixture("fragment");
  auto o = wsload(short_run(frag.port(), {"--payload", "1000"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
  auto ping = fixture("ping");
  o = wsload(short_run(ping.port()));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["pings_answered"].get<uint64_t>(), 0u);
}

TEST(WsloadCli, message_budget_is_sent_exactly) {
  auto s = fixture("echo");
  const auto o = wsload({"--port", std::to_string(s.port()), "--messages", "500", "--connections", "3", "--threads", "2", "--pipeline", "4"});
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.j["messages"], 500);
  EXPECT_EQ(o.j["sent"], 500);
}

TEST(WsloadCli, raw_mode_echoes_without_websocket) {
  auto s = fixture("raw");
  // A size mix, and a single size (whose template copies are reused in place in the write buffer).
  for (const char* sizes : {"3,64,20000", "20000", "7"}) {
    const auto o = wsload(short_run(s.port(), {"--raw", "--payload", sizes, "--pipeline", "8", "--connections", "2"}));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 0) << sizes << ": " << o.err;
    EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u) << sizes;
    EXPECT_EQ(err(o, "total"), 0u) << sizes;
    EXPECT_EQ(o.j["handshakes"], 0);
  }
}

TEST(WsloadCli, raw_mode_catches_a_corrupted_stream) {
  auto s = fixture("raw-corrupt", 2000);
  const auto o = wsload(short_run(s.port(), {"--raw", "--payload", "100", "--pipeline", "8"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_GE(err(o, "mismatch"), 1u);
}

TEST(WsloadCli, open_loop_keeps_the_rate) {
  auto s = fixture("echo");
  const auto o = wsload({"--port", std::to_string(s.port()), "--rate", "2000", "--duration", "1", "--connections", "4", "--drain", "1"});
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  // 2000/s for 1 s: the schedule decides the count, not the server's speed.
  EXPECT_GE(o.j["messages"].get<uint64_t>(), 1990u);
  EXPECT_LE(o.j["messages"].get<uint64_t>(), 2010u);
  EXPECT_TRUE(o.j.contains("behind_schedule"));
}

TEST(WsloadCli, open_loop_latency_counts_from_the_intended_send_time) {
  // The server holds one message for 300 ms; at 1000 msg/s about 300 messages queue behind it.
  // Measured from the intended send time, their latency spreads up to 300 ms, so p90 ~ 200 ms.
  // (Measured from the actual send, or in a closed loop, only one message would look slow.)
  auto s = fixture("pause", 200, {"--pause-ms", "300"});
  const auto o = wsload({"--port", std::to_string(s.port()), "--rate", "1000", "--duration", "1", "--drain", "1"});
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GE(o.j["latency_us"]["p90"].get<double>(), 100'000.0);
  EXPECT_GE(o.j["latency_us"]["max"].get<double>(), 250'000.0);
}

TEST(WsloadCli, idle_holds_connections_and_reports_handshakes) {
  auto s = fixture("echo");
  const auto o = wsload({"--port", std::to_string(s.port()), "--idle", "--connections", "20", "--threads", "2", "--duration", "0.5"});
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.j["handshakes"], 20);
  EXPECT_EQ(o.j["connections"]["established"], 20);
  EXPECT_EQ(o.j["messages"], 0);
  EXPECT_GT(o.j["handshakes_per_sec"].get<double>(), 0.0);
}

TEST(WsloadCli, churn_reconnects_and_counts_handshakes_in_the_window) {
  auto s = fixture("echo");
  const auto o = wsload(short_run(s.port(), {"--churn", "10", "--connections", "2", "--pipeline", "2"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["window_handshakes"].get<uint64_t>(), 2u);
  EXPECT_GT(o.j["handshakes"].get<uint64_t>(), 2u);
  EXPECT_EQ(err(o, "total"), 0u);
}

TEST(WsloadCli, broadcast_reaches_every_receiver) {
  auto s = fixture("broadcast");
  for (const std::vector<std::string>& loop : {std::vector<std::string>{"--pipeline", "2"}, std::vector<std::string>{"--rate", "500"}}) {
    auto args = short_run(s.port(), {"--broadcast", "--connections", "5", "--threads", "2"});
    args.insert(args.end(), loop.begin(), loop.end());
    const auto o = wsload(args);
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    const auto sent = o.j["broadcast"]["sent"].get<uint64_t>();
    EXPECT_GT(sent, 0u);
    EXPECT_EQ(o.j["messages"].get<uint64_t>(), 5 * sent) << "every measured message reaches all 5 receivers";
    EXPECT_EQ(err(o, "total"), 0u);
  }
}

// Two wsload processes on one broadcast group (as on two load hosts): each receiver gets both
// publishers' messages; each process verifies the other's in order and counts them as deliveries.
TEST(WsloadCli, broadcast_shards_on_one_group_verify_every_publishers_messages) {
  auto s = fixture("broadcast");
  auto shard = [&](std::string k) {
    return wsload(short_run(s.port(), {"--broadcast", "--broadcast-shard", k, "--connections", "4", "--rate", "300",
                                       "--payload", "64", "--warmup", "0.3"}));
  };
  auto a = std::async(std::launch::async, shard, "1/2");
  auto b = std::async(std::launch::async, shard, "2/2");
  for (Outcome o : {a.get(), b.get()}) {
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 0) << o.err << o.out;
    EXPECT_EQ(err(o, "total"), 0u) << o.out;
    const auto sent = o.j["broadcast"]["sent"].get<uint64_t>();
    const auto foreign = o.j["broadcast"]["foreign"].get<uint64_t>();
    EXPECT_GT(foreign, 0u) << "the other publisher's messages reached these receivers";
    EXPECT_EQ(o.j["messages"].get<uint64_t>(), 4 * sent + foreign) << "own deliveries are all there, beside the foreign ones";
    EXPECT_EQ(o.j["histogram"]["count"].get<uint64_t>() + foreign + o.j["broadcast"]["latency_unknown"].get<uint64_t>(),
              o.j["messages"].get<uint64_t>())
        << "latency only for our own publisher's messages";
    EXPECT_EQ(o.j["config"]["broadcast_shard"].is_string(), true);
  }
}

TEST(WsloadCli, merge_adds_histograms_and_counters) {
  auto s = fixture("echo");
  const auto a = wsload(short_run(s.port()));
  const auto b = wsload(short_run(s.port()));
  ASSERT_JSON(a);
  ASSERT_JSON(b);
  const std::string fa = testing::TempDir() + "wsload_merge_a.json", fb = testing::TempDir() + "wsload_merge_b.json";
  std::ofstream(fa) << a.out;
  std::ofstream(fb) << b.out;
  const auto r = test::run_to_completion({WSLOAD_BIN, "merge", fa, fb}, std::chrono::seconds(20));
  std::remove(fa.c_str());
  std::remove(fb.c_str());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = nlohmann::json::parse(r.out);
  EXPECT_EQ(m["messages"].get<uint64_t>(), a.j["messages"].get<uint64_t>() + b.j["messages"].get<uint64_t>());
  EXPECT_EQ(m["histogram"]["count"], m["messages"]);
  EXPECT_EQ(m["runs"], 2);
  EXPECT_EQ(m["drain_s"].get<double>(), std::max(a.j["drain_s"].get<double>(), b.j["drain_s"].get<double>())) << "the longer drain";
}

// ---------------------------------------------------------------------- misbehaving servers

// 64 KiB messages: many TCP segments per message, several reads per echo; faults still seen.
TEST(WsloadCli, large_messages_are_verified_and_their_faults_caught) {
  {
    auto s = fixture("echo");
    const auto o = wsload(short_run(s.port(), {"--payload", "64KiB", "--pipeline", "2", "--connections", "2"}));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
    EXPECT_EQ(err(o, "total"), 0u);
  }
  const std::pair<const char*, const char*> faults[] = {{"corrupt", "mismatch"}, {"drop", "missing"}, {"closeframe", "unexpected_close"}};
  for (const auto& [mode, kind] : faults) {
    auto s = fixture(mode, 20);
    const auto o = wsload(short_run(s.port(), {"--payload", "64KiB", "--pipeline", "2"}));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 1) << mode;
    EXPECT_GE(err(o, kind), 1u) << mode;
  }
}

TEST(WsloadCli, corrupted_byte_is_a_mismatch) {
  auto s = fixture("corrupt");
  const auto o = wsload(short_run(s.port()));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(err(o, "mismatch"), 1u);
}

TEST(WsloadCli, corrupted_text_byte_is_a_mismatch) {
  auto s = fixture("corrupt");
  const auto o = wsload(short_run(s.port(), {"--text", "--payload", "300"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(err(o, "mismatch"), 1u);
}

TEST(WsloadCli, dropped_message_is_missing) {
  for (const char* pipeline : {"1", "8"}) {  // found at the drain / found when the next echo overtakes it
    auto s = fixture("drop");
    const auto o = wsload(short_run(s.port(), {"--pipeline", pipeline}));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 1) << "pipeline " << pipeline;
    EXPECT_EQ(err(o, "missing"), 1u) << "pipeline " << pipeline;
    EXPECT_EQ(err(o, "mismatch"), 0u) << "pipeline " << pipeline;
  }
}

TEST(WsloadCli, stalled_server_leaves_messages_missing_and_the_run_still_ends) {
  auto s = fixture("stall");
  const auto o = wsload(short_run(s.port(), {"--pipeline", "4", "--connections", "2"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_GE(err(o, "missing"), 1u);
}

TEST(WsloadCli, stalled_server_in_open_loop_is_caught) {
  auto s = fixture("stall");
  const auto o = wsload(short_run(s.port(), {"--rate", "1000"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_GE(err(o, "missing"), 1u);
}

TEST(WsloadCli, server_dropping_the_connection_is_an_unexpected_close) {
  for (const char* mode : {"close", "closeframe"}) {
    auto s = fixture(mode);
    const auto o = wsload(short_run(s.port()));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 1) << mode;
    EXPECT_EQ(err(o, "unexpected_close"), 1u) << mode;
  }
}

TEST(WsloadCli, invalid_frame_from_server_is_a_protocol_error) {
  auto s = fixture("badframe");
  const auto o = wsload(short_run(s.port()));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(err(o, "protocol_error"), 1u);
}

TEST(WsloadCli, closed_port_is_a_clear_connect_failure) {
  const auto o = wsload(short_run(test::closed_port(), {"--connections", "3"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 3);
  EXPECT_EQ(err(o, "connect_failed"), 3u);
  EXPECT_NE(o.err.find("Connection refused"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("0 of 3 connections"), std::string::npos) << o.err;
}

TEST(WsloadCli, refused_or_forged_handshake_is_a_handshake_failure) {
  for (const char* mode : {"bad-accept", "refuse"}) {
    auto s = fixture(mode);
    const auto o = wsload(short_run(s.port()));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 4) << mode;
    EXPECT_EQ(err(o, "handshake_failed"), 1u) << mode;
    EXPECT_NE(o.err.find("refused"), std::string::npos) << o.err;
  }
}

TEST(WsloadCli, silent_server_times_out_the_handshake) {
  auto s = fixture("silent");
  const auto o = wsload(short_run(s.port(), {"--connect-timeout", "0.5"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 4);
  EXPECT_EQ(err(o, "handshake_failed"), 1u);
}

TEST(WsloadCli, hard_timeout_stops_a_run_with_partial_results) {
  auto s = fixture("echo");
  const auto o = wsload({"--port", std::to_string(s.port()), "--duration", "30", "--hard-timeout", "1"});
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 5);
  EXPECT_TRUE(o.j["timed_out"].get<bool>());
}

// ------------------------------------------------------------------------------------ --hold

// wsload --hold fed `commands` on stdin: each window's JSON line, and what it said on stderr.
struct Held {
  int exit_code = -1;
  std::vector<nlohmann::json> windows;
  std::string err;
};

Held hold(uint16_t port, std::vector<std::string> args, const std::string& commands) {
  args.insert(args.begin(), {WSLOAD_BIN, "--json", "--quiet", "--hold", "--port", std::to_string(port), "--drain", "0.5"});
  const auto r = test::run_to_completion(args, std::chrono::seconds(40), {}, commands);
  EXPECT_FALSE(r.timed_out) << "wsload --hold did not end at the end of its input";
  Held h{r.exit_code, {}, r.err};
  size_t from = 0, nl;
  while ((nl = r.out.find('\n', from)) != std::string::npos) {
    h.windows.push_back(nlohmann::json::parse(r.out.substr(from, nl - from), nullptr, false));
    from = nl + 1;
  }
  return h;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One window per command, all on the connections made once: the handshakes are in the first
// window's result only, and every window is verified clean and marked on stderr.
TEST(WsloadCli, hold_measures_one_window_per_command_on_the_same_connections) {
  auto s = fixture("echo");
  const Held h = hold(s.port(), {"--connections", "4", "--threads", "2", "--pipeline", "4"},
                      "window 0.05 0.3\nwindow 0 0.3\nwindow 0.05 0.2\nquit\n");
  EXPECT_EQ(h.exit_code, 0) << h.err;
  ASSERT_EQ(h.windows.size(), 3u) << h.err;
  for (size_t i = 0; i < h.windows.size(); ++i) {
    const nlohmann::json& w = h.windows[i];
    ASSERT_TRUE(w.is_object()) << "window " << i;
    EXPECT_GT(w["messages"].get<uint64_t>(), 0u) << "window " << i;
    EXPECT_EQ(w["errors"]["total"], 0) << "window " << i;
    EXPECT_EQ(w["connections"]["established"], 4) << "window " << i;
    EXPECT_EQ(w["handshakes"], i == 0 ? 4 : 0) << "window " << i << ": no reconnection between windows";
  }
  EXPECT_NEAR(h.windows[2]["duration_s"].get<double>(), 0.2, 0.05) << "each window takes its command's duration";
  EXPECT_EQ(count_of(h.err, "window start"), 3u) << h.err;
  EXPECT_EQ(count_of(h.err, "window done"), 3u) << h.err;
}

// --messages with --hold: each window sends exactly its own budget and ends when it is echoed, long
// before its duration (30 s). wsbench gate's A/B measures fixed work per window this way.
TEST(WsloadCli, hold_with_messages_gives_every_window_the_same_fixed_work) {
  auto s = fixture("echo");
  const Held h = hold(s.port(), {"--connections", "4", "--threads", "2", "--pipeline", "8", "--messages", "32"},
                      "window 0 30\nwindow 0 30\nwindow 0 30\n");
  EXPECT_EQ(h.exit_code, 0) << h.err;
  ASSERT_EQ(h.windows.size(), 3u) << h.err;
  for (size_t i = 0; i < h.windows.size(); ++i) {
    const nlohmann::json& w = h.windows[i];
    ASSERT_TRUE(w.is_object()) << "window " << i;
    EXPECT_EQ(w["messages"], 32) << "window " << i << ": the budget is each window's, not the run's";
    EXPECT_EQ(w["errors"]["total"], 0) << "window " << i;
    EXPECT_LT(w["duration_s"].get<double>(), 10.0) << "window " << i << " ends when its messages are sent";
  }
}

// Broadcast, closed and open loop: every window's messages reach every receiver.
TEST(WsloadCli, hold_broadcast_reaches_every_receiver_in_every_window) {
  auto s = fixture("broadcast");
  for (const std::vector<std::string>& loop : {std::vector<std::string>{"--pipeline", "2"}, std::vector<std::string>{"--rate", "500"}}) {
    std::vector<std::string> args = {"--broadcast", "--connections", "5", "--threads", "2"};
    args.insert(args.end(), loop.begin(), loop.end());
    const Held h = hold(s.port(), args, "window 0.05 0.3\nwindow 0.05 0.3\n");
    EXPECT_EQ(h.exit_code, 0) << h.err;
    ASSERT_EQ(h.windows.size(), 2u) << h.err;
    for (const nlohmann::json& w : h.windows) {
      ASSERT_TRUE(w.is_object());
      const auto sent = w["broadcast"]["sent"].get<uint64_t>();
      EXPECT_GT(sent, 0u);
      EXPECT_EQ(w["messages"].get<uint64_t>(), 5 * sent) << "every measured message reaches all 5 receivers";
      EXPECT_EQ(w["errors"]["total"], 0);
    }
  }
}

// Open loop between two sends nothing is in flight when the window ends: the drain is over at
// once. It used to wait for the worker's next timeout (100 ms), a third of each precision-round
// run of wsbench's latency-at-rate case. 20 msgs/s: sends 50 ms apart, each echo back in well
// under that, so every window ends with nothing in flight.
TEST(WsloadCli, hold_open_loop_window_is_drained_when_its_last_echo_is_back) {
  auto s = fixture("echo");
  const Held h = hold(s.port(), {"--connections", "2", "--rate", "20"}, "window 0 0.12\nwindow 0 0.12\nwindow 0 0.12\nwindow 0 0.12\nwindow 0 0.12\n");
  EXPECT_EQ(h.exit_code, 0) << h.err;
  ASSERT_EQ(h.windows.size(), 5u) << h.err;
  std::vector<double> drains;
  for (const nlohmann::json& w : h.windows) {
    ASSERT_TRUE(w.is_object() && w["drain_s"].is_number()) << "every worker drained, so the drain has a length";
    EXPECT_GE(w["drain_s"].get<double>(), 0.0);
    drains.push_back(w["drain_s"].get<double>());
  }
  // The median, so one window of a busy machine cannot fail it; the old wait was >= 0.1 s in each.
  std::sort(drains.begin(), drains.end());
  EXPECT_LT(drains[2], 0.05) << "median drain of 5 windows with nothing in flight";
}

// A window whose drain times out closes the connections: outstanding echoes must not land in the
// next window. wsload ends after that window, with its errors.
TEST(WsloadCli, hold_ends_after_a_window_that_left_messages_missing) {
  auto s = fixture("stall");
  const Held h = hold(s.port(), {"--pipeline", "4", "--connections", "2"}, "window 0 0.3\nwindow 0 0.3\n");
  EXPECT_EQ(h.exit_code, 1) << h.err;
  ASSERT_EQ(h.windows.size(), 1u) << h.err;
  EXPECT_GE(h.windows[0]["errors"]["missing"].get<uint64_t>(), 1u);
  EXPECT_TRUE(h.windows[0]["drain_s"].is_null()) << "a drain that timed out has no length";
}

// What is not a command ends the hold with a usage error, after the windows before it.
TEST(WsloadCli, hold_refuses_what_is_not_a_command) {
  auto s = fixture("echo");
  const Held h = hold(s.port(), {}, "window 0 0.2\nwindow 0.1\n");
  EXPECT_EQ(h.exit_code, 2) << h.err;
  ASSERT_EQ(h.windows.size(), 1u) << h.err;
  EXPECT_NE(h.err.find("\"window 0.1\" is not a command"), std::string::npos) << h.err;
}

TEST(WsloadCli, usage_error_exits_2) {
  const auto r = test::run_to_completion({WSLOAD_BIN, "--port", "1", "--rate", "5", "--pipeline", "3"}, std::chrono::seconds(10));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--pipeline"), std::string::npos);
}

// ----------------------------------------------------------------------- allocation budget

#if defined(WSALLOC_MALLOCCOUNT_LIB) && defined(WSALLOC_MALLOCCOUNT_READ_BIN)
// wsload's own hot path: a run of 20x the messages makes (almost) no more allocations. The counter
// is the project's LD_PRELOAD library; a few allocations of slack for queue growth and the like.
uint64_t allocations_of_run(uint16_t port, const std::string& messages, const std::vector<std::string>& loop) {
  const std::string file = "/dev/shm/wsload-alloc-test." + std::to_string(::getpid()) + "." + messages;
  std::vector<std::string> args = {WSLOAD_BIN, "--port", std::to_string(port), "--messages", messages, "-c", "4", "--quiet",
                                   "--payload", "32,512", "--hard-timeout", "30"};
  args.insert(args.end(), loop.begin(), loop.end());
  const auto r = test::run_to_completion(args, std::chrono::seconds(40),
                                         {"LD_PRELOAD=" WSALLOC_MALLOCCOUNT_LIB, "WSALLOC_MALLOCCOUNT_FILE=" + file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto read = test::run_to_completion({WSALLOC_MALLOCCOUNT_READ_BIN, file}, std::chrono::seconds(10));
  std::remove(file.c_str());
  EXPECT_EQ(read.exit_code, 0) << read.err;
  try {
    return nlohmann::json::parse(read.out).at("allocations").get<uint64_t>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "counter output: " << read.out << " (" << e.what() << ")";
    return 0;
  }
}

TEST(WsloadCli, wsload_does_not_allocate_per_message) {
  auto s = fixture("echo");
  for (const std::vector<std::string>& loop : {std::vector<std::string>{"-k", "8"}, std::vector<std::string>{"--rate", "20000"}}) {
    const uint64_t small = allocations_of_run(s.port(), "1000", loop);
    const uint64_t large = allocations_of_run(s.port(), "20000", loop);
    EXPECT_GT(small, 0u) << "the counter saw nothing: not preloaded?";
    EXPECT_LE(large, small + 16) << loop[0] << ": 19000 more messages cost " << (large - small) << " more allocations";
  }
}
#endif

// --------------------------------------------------------------------------- real servers

#ifdef WSALLOC_SERVER_BIN
TEST(WsloadCli, wsalloc_server_malloc_echoes_clean) {
  std::string error;
  auto s = test::Server::start({WSALLOC_SERVER_BIN, "--variant", "malloc", "--port", "0"}, error);
  ASSERT_TRUE(s) << error;
  const auto o = wsload(short_run(s->port(), {"--connections", "4", "--pipeline", "4", "--payload", "32,512,16384", "--weights", "70,25,5"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
  EXPECT_EQ(err(o, "total"), 0u);
}
#endif

#ifdef WSALLOC_SERVER_BIN
// --deflate against a server that compresses: every echo inflated and verified, the ratios add up,
// and JSON-like text compresses where random bytes do not.
TEST(WsloadCli, deflate_against_wsalloc_server_compresses_and_verifies) {
  std::string error;
  auto s = test::Server::start({WSALLOC_SERVER_BIN, "--variant", "zerocopy", "--port", "0", "--deflate"}, error);
  ASSERT_TRUE(s) << error;
  for (const char* kind : {"--json-text", "--binary"}) {
    const auto o = wsload(short_run(s->port(), {"--connections", "4", "--pipeline", "4", "--payload", "100,2048,70000",
                                                kind, "--deflate", "--fragments", "2"}));
    ASSERT_JSON(o);
    EXPECT_EQ(o.exit_code, 0) << kind << ": " << o.err;
    EXPECT_EQ(err(o, "total"), 0u) << kind;
    const auto& d = o.j["deflate"];
    EXPECT_EQ(d["agreed"].get<uint64_t>(), 4u) << kind;
    EXPECT_GT(d["received"]["bytes"].get<uint64_t>(), 0u) << kind;
    EXPECT_EQ(d["received"]["bytes"], d["sent"]["bytes"]) << kind << ": every byte sent came back inflated";
    const double ratio = d["received"]["ratio"].get<double>();
    if (std::string(kind) == "--json-text") {
      EXPECT_GT(ratio, 2.0) << "JSON-like text";
    } else {
      EXPECT_LT(ratio, 1.2) << "random bytes";
    }
  }
}

// The server declines (no --deflate): a legal answer; the run goes plain and says so.
TEST(WsloadCli, deflate_declined_by_the_server_runs_plain) {
  std::string error;
  auto s = test::Server::start({WSALLOC_SERVER_BIN, "--variant", "arena", "--port", "0"}, error);
  ASSERT_TRUE(s) << error;
  const auto o = wsload(short_run(s->port(), {"--connections", "2", "--deflate"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.j["deflate"]["declined"].get<uint64_t>(), 2u);
  EXPECT_EQ(o.j["deflate"]["agreed"].get<uint64_t>(), 0u);
  EXPECT_TRUE(o.j["deflate"]["received"]["ratio"].is_null()) << "nothing compressed: null, not 0";
}
#endif

#ifdef WSALLOC_RAWECHO_BIN
TEST(WsloadCli, rawecho_echoes_clean_in_raw_mode) {
  std::string error;
  auto s = test::Server::start({WSALLOC_RAWECHO_BIN, "--port", "0"}, error);
  ASSERT_TRUE(s) << error;
  const auto o = wsload(short_run(s->port(), {"--raw", "--connections", "4", "--pipeline", "4", "--payload", "32,65536"}));
  ASSERT_JSON(o);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_GT(o.j["messages"].get<uint64_t>(), 0u);
  EXPECT_EQ(err(o, "total"), 0u);
}
#endif

}  // namespace
}  // namespace wsalloc::load
