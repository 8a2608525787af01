#include "bench/load_hosts.hpp"

#include <gtest/gtest.h>

#include <numeric>

namespace wsalloc::bench {
namespace {

TEST(LoadHosts, names_are_a_comma_list_of_unique_plain_names) {
  EXPECT_EQ(parse_load_host_names("l1,l2,load-3.example"), (std::vector<std::string>{"l1", "l2", "load-3.example"}));
  for (const char* bad : {"", "l1,,l2", "l1,l1", "l1,a b", "l1,", "x/y"}) {
    EXPECT_THROW(parse_load_host_names(bad), std::invalid_argument) << bad;
  }
  try {
    parse_load_host_names("l1,l1");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"l1\" named twice"), std::string::npos) << e.what();
  }
}

TEST(LoadHosts, master_address_is_an_optional_address_and_a_port) {
  LoadHostsConfig c;
  parse_master_address("6000", c);
  EXPECT_EQ(c.master_bind, "0.0.0.0");
  EXPECT_EQ(c.master_port, 6000);
  parse_master_address("10.201.0.1:5557", c);
  EXPECT_EQ(c.master_bind, "10.201.0.1");
  EXPECT_EQ(c.master_port, 5557);
  for (const char* bad : {"", "host", "host:0", "host:70000", ":5557", "1.2.3.4:55x"}) {
    EXPECT_THROW(parse_master_address(bad, c), std::invalid_argument) << bad;
  }
}

std::vector<LoadShare> shares_of(const LoadSpec& l, ScenarioKind k, std::vector<std::string> hosts) {
  auto r = split_load(l, k, hosts);
  EXPECT_TRUE(std::holds_alternative<std::vector<LoadShare>>(r)) << std::get<std::string>(r);
  return std::get<std::vector<LoadShare>>(r);
}

TEST(LoadHosts, connections_split_evenly_with_the_remainder_on_the_first_hosts) {
  LoadSpec l;
  l.connections = 100;
  const auto s = shares_of(l, ScenarioKind::Echo, {"a", "b", "c"});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].load.connections, 34u);
  EXPECT_EQ(s[1].load.connections, 33u);
  EXPECT_EQ(s[2].load.connections, 33u);
  EXPECT_EQ(s[1].host, "b");
  EXPECT_EQ(s[1].index, 2u);
  EXPECT_EQ(s[2].count, 3u);
  EXPECT_EQ(s[0].load.payload, l.payload) << "everything but the counts is the case's";
  EXPECT_EQ(s[0].load.rate, 0) << "closed loop stays closed";
}

TEST(LoadHosts, an_echo_rate_follows_the_connections_so_each_connection_keeps_its_rate) {
  LoadSpec l;
  l.connections = 10;
  l.rate = 1000;
  const auto s = shares_of(l, ScenarioKind::LatencyAtRate, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(s[0].load.rate, 400);  // 4 connections
  EXPECT_DOUBLE_EQ(s[1].load.rate, 300);
  EXPECT_DOUBLE_EQ(s[0].load.rate + s[1].load.rate + s[2].load.rate, 1000);
}

TEST(LoadHosts, a_broadcast_rate_is_split_evenly_over_one_publisher_per_host) {
  LoadSpec l;
  l.connections = 1000;
  l.rate = 50;
  const auto s = shares_of(l, ScenarioKind::Broadcast, {"a", "b", "c"});
  for (const auto& x : s) EXPECT_DOUBLE_EQ(x.load.rate, 50.0 / 3);
  EXPECT_EQ(s[0].load.connections + s[1].load.connections + s[2].load.connections, 1000u);
}

TEST(LoadHosts, fewer_connections_than_hosts_is_refused_with_the_reason) {
  LoadSpec l;
  l.connections = 2;
  auto r = split_load(l, ScenarioKind::Echo, {"a", "b", "c"});
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("2 connections cannot be split over 3 load hosts"), std::string::npos);
}

}  // namespace
}  // namespace wsalloc::bench
