#include "net/socket.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace wsalloc::net {
namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int connect_v4(uint16_t port) {
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(c);
    return -1;
  }
  return c;
}

TEST(Socket, listen_tcp_on_port_zero_gives_nonzero_local_port) {
  Fd l(listen_tcp("127.0.0.1", 0, false));
  ASSERT_GE(l.fd, 0);
  EXPECT_NE(local_port(l.fd), 0);
}

TEST(Socket, listen_tcp_accepts_localhost_as_ipv4_loopback) {
  Fd l(listen_tcp("localhost", 0, false));
  uint16_t port = local_port(l.fd);
  Fd c(connect_v4(port));
  EXPECT_GE(c.fd, 0) << "connect to 127.0.0.1:" << port;
}

TEST(Socket, listen_tcp_accepts_ipv6_loopback_with_and_without_brackets) {
  for (const char* host : {"::1", "[::1]"}) {
    int fd;
    try {
      fd = listen_tcp(host, 0, false);
    } catch (const std::system_error& e) {
      if (e.code().value() == EADDRNOTAVAIL || e.code().value() == EAFNOSUPPORT)
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
      throw;
    }
    Fd l(fd);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ASSERT_EQ(::getsockname(l.fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
    EXPECT_EQ(ss.ss_family, AF_INET6) << host;
    EXPECT_NE(local_port(l.fd), 0) << host;
  }
}

TEST(Socket, listen_tcp_returns_nonblocking_socket) {
  Fd l(listen_tcp("127.0.0.1", 0, false));
  EXPECT_NE(::fcntl(l.fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(::accept(l.fd, nullptr, nullptr), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
}

TEST(Socket, listen_tcp_rejects_a_hostname_with_einval_naming_host_and_port) {
  try {
    listen_tcp("not-an-address", 9001, false);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("not-an-address:9001"), std::string::npos) << e.what();
  }
}

TEST(Socket, listen_tcp_on_a_taken_port_fails_naming_bind_and_host_port) {
  Fd first(listen_tcp("127.0.0.1", 0, false));
  uint16_t port = local_port(first.fd);
  try {
    listen_tcp("127.0.0.1", port, false);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    std::string want = "bind(127.0.0.1:" + std::to_string(port) + ")";
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
}

TEST(Socket, listen_tcp_with_reuse_port_lets_two_listeners_share_a_port) {
  Fd first(listen_tcp("127.0.0.1", 0, true));
  uint16_t port = local_port(first.fd);
  Fd second(listen_tcp("127.0.0.1", port, true));
  EXPECT_EQ(local_port(second.fd), port);
}

TEST(Socket, set_nodelay_turns_on_tcp_nodelay) {
  Fd l(listen_tcp("127.0.0.1", 0, false));
  Fd c(connect_v4(local_port(l.fd)));
  ASSERT_GE(c.fd, 0);
  set_nodelay(c.fd);
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_EQ(::getsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  EXPECT_NE(v, 0);
}

TEST(Socket, set_nodelay_on_a_non_tcp_socket_throws_naming_the_fd) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  try {
    set_nodelay(a.fd);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("fd=" + std::to_string(a.fd)), std::string::npos)
        << e.what();
  }
}

TEST(Socket, set_nonblocking_turns_on_o_nonblock) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  ASSERT_EQ(::fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
  set_nonblocking(a.fd);
  EXPECT_NE(::fcntl(a.fd, F_GETFL) & O_NONBLOCK, 0);
}

TEST(Socket, helpers_on_a_bad_fd_throw_ebadf) {
  EXPECT_THROW(local_port(-1), std::system_error);
  EXPECT_THROW(set_nonblocking(-1), std::system_error);
  try {
    set_nodelay(-1);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EBADF);
  }
}

}  // namespace
}  // namespace wsalloc::net
