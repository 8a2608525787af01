// wsalloc-rawecho, the machine's ceiling, still has to be an echo: bytes back in order, including
// when the client sends faster than it reads (the short-write path), and a clean exit on SIGTERM.
#include "server_process.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

using wsalloc::test::ServerProcess;
using namespace std::chrono_literals;

namespace {

constexpr int kIoTimeoutMs = 10'000;  // per poll(); loopback traffic needs milliseconds

int connect_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `out` and reads the same number of bytes back, interleaving both directions with poll() so
// neither side's buffers fill up and deadlock. Returns what came back (short on timeout or EOF).
std::string exchange(int fd, const std::string& out) {
  std::string in;
  size_t sent = 0;
  char buf[64 * 1024];
  while (in.size() < out.size()) {
    pollfd p{fd, short(POLLIN | (sent < out.size() ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, kIoTimeoutMs) <= 0) break;
    if (p.revents & POLLOUT) {
      ssize_t w = ::send(fd, out.data() + sent, std::min<size_t>(out.size() - sent, 256 * 1024),
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) sent += size_t(w);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r == 0) break;
      if (r > 0) in.append(buf, size_t(r));
    }
  }
  return in;
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& c : s) c = char((x = x * 1664525u + 1013904223u) >> 24);
  return s;
}

// wsalloc_rawecho_uring_test builds this file again with WSALLOC_RAWECHO_IO="uring".
std::vector<std::string> rawecho_argv() {
#ifdef WSALLOC_RAWECHO_IO
  return {WSALLOC_RAWECHO_PATH, "--io", WSALLOC_RAWECHO_IO};
#else
  return {WSALLOC_RAWECHO_PATH};
#endif
}

class RawEcho : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = server_.start(rawecho_argv(), 10s);
    ASSERT_EQ(r, ServerProcess::StartResult::Ready) << to_string(r) << ": " << server_.error();
  }
  void TearDown() override {
    if (!server_.running()) return;
    auto s = server_.stop(5s);
    ASSERT_EQ(s, ServerProcess::StopResult::Exited) << to_string(s) << ": " << server_.error();
    EXPECT_EQ(server_.exit_code(), 0);
  }
  ServerProcess server_;
};

TEST_F(RawEcho, echoes_small_message) {
  int fd = connect_loopback(server_.port());
  ASSERT_GE(fd, 0);
  EXPECT_EQ(exchange(fd, "hello, ceiling"), "hello, ceiling");
  ::close(fd);
}

TEST_F(RawEcho, echoes_8_mib_in_order_when_client_sends_faster_than_it_reads) {
  int fd = connect_loopback(server_.port());
  ASSERT_GE(fd, 0);
  const std::string out = pattern(8u << 20);  // far beyond socket buffers: forces short writes
  std::string in = exchange(fd, out);
  ASSERT_EQ(in.size(), out.size());
  EXPECT_TRUE(in == out) << "echoed bytes differ";
  ::close(fd);
}

TEST_F(RawEcho, sigterm_with_open_connections_exits_zero_and_closes_them) {
  int a = connect_loopback(server_.port());
  int b = connect_loopback(server_.port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_EQ(exchange(a, "x"), "x");
  auto s = server_.stop(5s);
  ASSERT_EQ(s, ServerProcess::StopResult::Exited) << to_string(s) << ": " << server_.error();
  EXPECT_EQ(server_.exit_code(), 0);
  char c;
  pollfd p{b, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, kIoTimeoutMs), 1);
  EXPECT_LE(::recv(b, &c, 1, 0), 0) << "connection still delivering data after shutdown";
  ::close(a);
  ::close(b);
}

}  // namespace
