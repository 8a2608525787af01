#include "bench/target_url.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(TargetUrl, host_port_and_path_make_an_external_target_named_after_them) {
  Target t = target_from_url("ws://10.0.0.5:8080/echo");
  EXPECT_EQ(t.kind, TargetKind::External);
  EXPECT_TRUE(t.external());
  EXPECT_EQ(t.name, "10.0.0.5:8080");
  EXPECT_EQ(t.url_host, "10.0.0.5");
  EXPECT_EQ(t.url_port, 8080);
  EXPECT_EQ(t.echo_path, "/echo");
  EXPECT_TRUE(t.broadcast_path.empty());
  EXPECT_FALSE(t.takes_server_args);
  EXPECT_EQ(t.counter, CounterCoverage::NotStarted);
  EXPECT_EQ(t.counter_note, "not measured: not started by wsbench");
}

TEST(TargetUrl, a_name_prefix_an_ipv6_host_and_defaults) {
  Target t = target_from_url("mine=ws://[::1]:9001");
  EXPECT_EQ(t.name, "mine");
  EXPECT_EQ(t.url_host, "::1");
  EXPECT_EQ(t.url_port, 9001);
  EXPECT_EQ(t.echo_path, "/");
  EXPECT_EQ(target_from_url("ws://example.test/x").url_port, 80);
}

TEST(TargetUrl, bad_urls_say_what_is_wrong) {
  auto why = [](const char* url) {
    try {
      target_from_url(url);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(why("wss://h:1/").find("wss:// is not supported"), std::string::npos);
  EXPECT_NE(why("http://h:1/").find("scheme must be ws://"), std::string::npos);
  EXPECT_NE(why("ws://h:0/").find("port \"0\" is not in [1, 65535]"), std::string::npos);
  EXPECT_NE(why("ws://h:99999/").find("port \"99999\""), std::string::npos);
  EXPECT_NE(why("ws://:80/").find("no host"), std::string::npos);
  EXPECT_NE(why("a/b=ws://h:1/").find("name \"a/b\""), std::string::npos);
}

}  // namespace
}  // namespace wsalloc::bench
