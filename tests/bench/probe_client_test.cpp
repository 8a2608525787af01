#include "bench/probe_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

// One-shot HTTP server on a thread: accepts one connection, reads the request, sends `reply`.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[2048];
      ::recv(c, buf, sizeof buf, 0);
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

TEST(ProbeClient, http_get_returns_the_body_of_a_200) {
  OneShotServer srv("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"workers\":1}");
  auto body = http_get("127.0.0.1", srv.port(), "/stats", 2000ms);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, "{\"workers\":1}");
}

TEST(ProbeClient, http_get_refuses_other_statuses) {
  OneShotServer srv("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(http_get("127.0.0.1", srv.port(), "/stats", 2000ms));
}

TEST(ProbeClient, closed_port_is_not_connectable_and_probes_fail_with_a_reason) {
  auto port = pick_free_port("127.0.0.1");
  ASSERT_TRUE(port);
  EXPECT_FALSE(tcp_connectable("127.0.0.1", *port, 300ms));
  Probe p = probe_broadcast("127.0.0.1", *port, "/broadcast", 300ms);
  EXPECT_EQ(p.result, ProbeResult::Failed);
  EXPECT_NE(p.detail.find("cannot connect"), std::string::npos);
}

TEST(ProbeClient, a_server_that_refuses_the_upgrade_does_not_support_broadcast) {
  OneShotServer srv("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Probe p = probe_broadcast("127.0.0.1", srv.port(), "/broadcast", 500ms);
  EXPECT_NE(p.result, ProbeResult::Supported);
}

}  // namespace
}  // namespace wsalloc::bench

namespace wsalloc::bench {
namespace {

// Drops its first connection without a word, answers the second: what a server looks like whose
// answer came too late for one wait.
TEST(ProbeClient, http_get_retrying_asks_again_on_a_fresh_connection) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t port = ntohs(a.sin_port);
  std::thread server([fd] {
    for (int n = 0; n < 2; ++n) {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[2048];
      ::recv(c, buf, sizeof buf, 0);
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      if (n == 1) ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  });
  // One try (http_get, what the gate did) gets the dropped connection: nullopt. Retrying gets "ok".
  auto body = http_get_retrying("127.0.0.1", port, "/stats", 2000ms, 3);
  ::shutdown(fd, SHUT_RDWR);  // ends a server still waiting for its second connection
  server.join();
  ::close(fd);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, "ok");
}

}  // namespace
}  // namespace wsalloc::bench
