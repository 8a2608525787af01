#include "load/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace wsalloc::load {
namespace {

std::variant<Config, MergeArgs, ExitCode> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "wsload");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(Config, size_lists_accept_suffixes) {
  EXPECT_EQ(parse_size_list("32, 512,16384"), (std::vector<size_t>{32, 512, 16384}));
  EXPECT_EQ(parse_size_list("64KiB,1k,2M,7b"), (std::vector<size_t>{65536, 1024, 2 << 20, 7}));
  EXPECT_THROW(parse_size_list("32,abc"), std::invalid_argument);
  EXPECT_THROW(parse_size_list("12parsecs"), std::invalid_argument);
  EXPECT_THROW(parse_size_list("2048M"), std::invalid_argument);
  EXPECT_THROW(parse_size_list(""), std::invalid_argument);
  EXPECT_EQ(parse_weight_list("70,25,5"), (std::vector<unsigned>{70, 25, 5}));
  EXPECT_THROW(parse_weight_list("70,-1"), std::invalid_argument);
}

TEST(Config, defaults_are_a_ten_second_closed_loop_echo) {
  const auto r = parse({"--port", "9000"});
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  const auto& c = std::get<Config>(r);
  EXPECT_EQ(c.mode, Mode::Echo);
  EXPECT_FALSE(c.open_loop());
  EXPECT_EQ(c.duration_s, 10);
  EXPECT_EQ(c.pipeline, 1u);
  EXPECT_EQ(c.payload_sizes, std::vector<size_t>{32});
  EXPECT_EQ(c.path, "/");
}

TEST(Config, messages_alone_bound_the_run_and_the_hard_timeout_still_applies) {
  const auto c = std::get<Config>(parse({"--port", "1", "--messages", "1000"}));
  EXPECT_EQ(c.duration_s, 0);
  EXPECT_EQ(c.messages, 1000u);
  EXPECT_EQ(c.effective_hard_timeout(), 600);
}

TEST(Config, contradictions_are_usage_errors) {
  const std::vector<std::vector<std::string>> bad = {
      {"--port", "1", "--rate", "100", "--pipeline", "4"},
      {"--port", "1", "--raw", "--fragments", "2"},
      {"--port", "1", "--raw", "--payload", "0"},
      {"--port", "1", "--idle", "--rate", "5"},
      {"--port", "1", "--raw", "--idle"},
      {"--port", "1", "--text", "--binary"},
      {"--port", "1", "--payload", "32,64", "--weights", "1"},
      {"--port", "1", "--duration", "0"},
      {"--port", "1", "--path", "chat"},
      {"--connections", "2"},  // --port is required
      {"--port", "1", "--json-text", "--text"},
      {"--port", "1", "--raw", "--deflate"},
      {"--port", "1", "--deflate-offer", "permessage-deflate"},  // needs --deflate
      {"--port", "1", "--deflate", "--deflate-offer", "x-webkit-deflate-frame"},
      {"--port", "1", "--deflate", "--deflate-offer", "permessage-deflate; server_max_window_bits=16"},
      {"--port", "1", "--deflate", "--deflate-offer", "permessage-deflate, permessage-deflate"},
      {"--port", "1", "--hold", "--idle"},
      {"--port", "1", "--hold", "--churn", "10"},
      {"--port", "1", "--hold", "--broadcast", "--broadcast-shard", "1/2"},
  };
  for (const auto& args : bad) {
    const auto r = parse(args);
    ASSERT_TRUE(std::holds_alternative<ExitCode>(r)) << args[args.size() - 2] << " " << args.back();
    EXPECT_EQ(std::get<ExitCode>(r), ExitCode::Usage);
  }
}

TEST(Config, deflate_offers_what_browsers_offer_unless_told_otherwise) {
  auto r = parse({"--port", "1", "--deflate", "--json-text"});
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  const Config& c = std::get<Config>(r);
  EXPECT_EQ(c.deflate_offer, "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(c.kind, PayloadKind::Json);
  EXPECT_EQ(c.to_json()["deflate"], "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(c.to_json()["payload_kind"], "json");
  EXPECT_TRUE(c.to_json()["text"].get<bool>()) << "JSON-like payloads are text messages";
  r = parse({"--port", "1", "--deflate", "--deflate-offer", "permessage-deflate; server_no_context_takeover"});
  ASSERT_TRUE(std::holds_alternative<Config>(r));
  EXPECT_EQ(std::get<Config>(r).deflate_offer, "permessage-deflate; server_no_context_takeover");
  r = parse({"--port", "1"});
  EXPECT_FALSE(std::get<Config>(r).deflate());
  EXPECT_TRUE(std::get<Config>(r).to_json()["deflate"].is_null());
}

TEST(Config, broadcast_defaults_to_the_broadcast_path) {
  EXPECT_EQ(std::get<Config>(parse({"--port", "1", "--broadcast"})).path, "/broadcast");
  EXPECT_EQ(std::get<Config>(parse({"--port", "1", "--broadcast", "--path", "/room"})).path, "/room");
}

TEST(Config, threads_never_exceed_connections) {
  EXPECT_EQ(std::get<Config>(parse({"--port", "1", "-c", "2", "-t", "8"})).threads, 2u);
}

TEST(Config, merge_subcommand_takes_files) {
  const auto r = parse({"merge", "--sequential", "/dev/null"});
  ASSERT_TRUE(std::holds_alternative<MergeArgs>(r));
  EXPECT_TRUE(std::get<MergeArgs>(r).sequential);
  EXPECT_EQ(std::get<MergeArgs>(r).files, std::vector<std::string>{"/dev/null"});
}

TEST(Config, json_config_names_the_loop) {
  auto c = std::get<Config>(parse({"--port", "1", "--rate", "100"}));
  EXPECT_EQ(c.to_json().at("loop"), "open");
  EXPECT_EQ(c.to_json().at("rate"), 100.0);
}

TEST(Config, broadcast_shard_names_the_publisher_and_needs_broadcast_and_room_for_the_tag) {
  const auto ok = parse({"--port", "1", "--broadcast", "--broadcast-shard", "2/3", "--payload", "64"});
  ASSERT_TRUE(std::holds_alternative<Config>(ok));
  EXPECT_EQ(std::get<Config>(ok).publisher.index, 2u);
  EXPECT_EQ(std::get<Config>(ok).publisher.count, 3u);
  EXPECT_EQ(std::get<Config>(ok).to_json()["broadcast_shard"], "2/3");
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--port", "1", "--broadcast-shard", "1/2"},
                                              {"--port", "1", "--broadcast", "--broadcast-shard", "3/2"},
                                              {"--port", "1", "--broadcast", "--broadcast-shard", "2"},
                                              {"--port", "1", "--broadcast", "--broadcast-shard", "1/2", "--payload", "8"}}) {
    const auto r = parse(bad);
    ASSERT_TRUE(std::holds_alternative<ExitCode>(r)) << bad.back();
    EXPECT_EQ(std::get<ExitCode>(r), ExitCode::Usage) << bad.back();
  }
}

}  // namespace
}  // namespace wsalloc::load
