#include "net/socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace wsalloc::net {
namespace {

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// Holds either family; `len` says which part is meaningful.
struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
  std::string printable;  // host:port as it appears in error messages
};

// Literals only (plus "localhost"): a listener must not depend on a resolver being configured.
bool parse_host(std::string_view host, uint16_t port, Address& out) {
  std::string h(host);
  if (h == "localhost") h = "127.0.0.1";
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);

  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    out.len = sizeof(sockaddr_in);
    out.family = AF_INET;
    return true;
  }
  out.storage = {};
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    out.len = sizeof(sockaddr_in6);
    out.family = AF_INET6;
    return true;
  }
  return false;
}

std::string printable(std::string_view host, uint16_t port) {
  std::string h(host);
  bool v6 = !h.empty() && h.find(':') != std::string::npos && h.front() != '[';
  return (v6 ? "[" + h + "]" : h) + ":" + std::to_string(port);
}

}  // namespace

int listen_tcp(std::string_view host, uint16_t port, bool reuse_port, int backlog) {
  const std::string where = printable(host, port);
  Address addr;
  if (!parse_host(host, port, addr))
    throw_errno(EINVAL, "listen_tcp(" + where +
                            "): host is not an IPv4/IPv6 literal or \"localhost\"");

  int fd = ::socket(addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(errno, "socket(" + where + ")");

  auto fail = [&](const char* call) {
    int err = errno;
    ::close(fd);
    throw_errno(err, std::string(call) + "(" + where + ")");
  };
  int one = 1;
  // SO_REUSEADDR: a restarted server can bind while old connections sit in TIME_WAIT.
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    fail("setsockopt(SO_REUSEADDR)");
  if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    fail("setsockopt(SO_REUSEPORT)");
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr.storage), addr.len) != 0) fail("bind");
  if (::listen(fd, backlog) != 0) fail("listen");
  return fd;
}

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    throw_errno(errno, "getsockname(fd=" + std::to_string(fd) + ")");
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  throw_errno(EAFNOSUPPORT, "getsockname(fd=" + std::to_string(fd) + "): family " +
                                std::to_string(ss.ss_family) + " has no port");
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0) throw_errno(errno, "fcntl(fd=" + std::to_string(fd) + ", F_GETFL)");
  if ((flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
    throw_errno(errno, "fcntl(fd=" + std::to_string(fd) + ", F_SETFL, O_NONBLOCK)");
}

void set_nodelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    throw_errno(errno, "setsockopt(fd=" + std::to_string(fd) + ", TCP_NODELAY)");
}

}  // namespace wsalloc::net
