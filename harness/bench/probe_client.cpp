#include "bench/probe_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/core.h>

namespace wsalloc::bench {
namespace {

using Clock = std::chrono::steady_clock;

// One owned socket fd.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::optional<sockaddr_storage> resolve(const std::string& host, uint16_t port, socklen_t& len) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) return std::nullopt;
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return ss;
}

Socket connect_to(const std::string& host, uint16_t port, Clock::time_point deadline) {
  socklen_t len = 0;
  auto addr = resolve(host, port, len);
  if (!addr) return {};
  Socket s(::socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s) return {};
  int one = 1;
  ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&*addr), len) != 0 && errno != EINPROGRESS) return {};
  pollfd p{s.fd(), POLLOUT, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) != 1) return {};
  int err = 0;
  socklen_t el = sizeof err;
  ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &el);
  if (err != 0) return {};
  return s;
}

bool send_all(const Socket& s, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(s.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return false;
    pollfd p{s.fd(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) return false;
  }
  return true;
}

// Reads what arrives until `done(buffer)` or the deadline / EOF. Returns done's last answer.
template <class Done>
bool recv_until(const Socket& s, std::string& buf, Clock::time_point deadline, Done done) {
  char tmp[4096];
  while (!done(buf)) {
    pollfd p{s.fd(), POLLIN, 0};
    int ms = remaining_ms(deadline);
    if (ms == 0 || ::poll(&p, 1, ms) != 1) return false;
    ssize_t n = ::recv(s.fd(), tmp, sizeof tmp, 0);
    if (n == 0) return done(buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    buf.append(tmp, static_cast<size_t>(n));
  }
  return true;
}

// Opening handshake; the key is fixed (RFC 6455's sample): a probe needs no unpredictability.
bool ws_upgrade(const Socket& s, const std::string& host, uint16_t port, const std::string& path,
                Clock::time_point deadline, std::string& leftover) {
  std::string req = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      path, host, port);
  if (!send_all(s, req, deadline)) return false;
  std::string buf;
  if (!recv_until(s, buf, deadline, [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; })) {
    return false;
  }
  const size_t end = buf.find("\r\n\r\n") + 4;
  leftover = buf.substr(end);
  return buf.rfind("HTTP/1.1 101", 0) == 0;
}

// A masked binary frame (payload < 126 bytes).
std::string masked_frame(std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(0x82));
  f.push_back(static_cast<char>(0x80 | payload.size()));
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

// Payload of the first complete unmasked data frame in buf (short frames only), if any.
std::optional<std::string> first_frame_payload(const std::string& buf) {
  if (buf.size() < 2) return std::nullopt;
  size_t len = static_cast<unsigned char>(buf[1]) & 0x7f;
  size_t head = 2;
  if (len == 126) {
    if (buf.size() < 4) return std::nullopt;
    len = (static_cast<unsigned char>(buf[2]) << 8) | static_cast<unsigned char>(buf[3]);
    head = 4;
  } else if (len == 127) {
    return std::string();  // a huge frame is not our probe message; report it as "something else"
  }
  if (buf.size() < head + len) return std::nullopt;
  return buf.substr(head, len);
}

}  // namespace

const char* to_string(ProbeResult r) noexcept {
  switch (r) {
    case ProbeResult::Supported: return "supported";
    case ProbeResult::NotSupported: return "not-supported";
    case ProbeResult::Failed: return "failed";
  }
  return "?";
}

bool tcp_connectable(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  return static_cast<bool>(connect_to(host, port, Clock::now() + timeout));
}

std::optional<uint16_t> pick_free_port(const std::string& host) {
  socklen_t len = 0;
  auto addr = resolve(host, 0, len);
  if (!addr) return std::nullopt;
  Socket s(::socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s || ::bind(s.fd(), reinterpret_cast<sockaddr*>(&*addr), len) != 0) return std::nullopt;
  sockaddr_storage bound{};
  socklen_t bl = sizeof bound;
  if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &bl) != 0) return std::nullopt;
  if (bound.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

std::optional<std::string> http_get(const std::string& host, uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Socket s = connect_to(host, port, deadline);
  if (!s) return std::nullopt;
  std::string req = fmt::format("GET {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n", path, host, port);
  if (!send_all(s, req, deadline)) return std::nullopt;
  std::string buf;
  // Read the head, then Content-Length bytes (or to EOF without one).
  auto complete = [](const std::string& b) {
    size_t head_end = b.find("\r\n\r\n");
    if (head_end == std::string::npos) return false;
    std::string head = b.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = head.find("content-length:");
    if (cl == std::string::npos) return false;
    size_t n = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
    return b.size() >= head_end + 4 + n;
  };
  recv_until(s, buf, deadline, complete);
  if (buf.rfind("HTTP/1.1 200", 0) != 0) return std::nullopt;
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  return buf.substr(head_end + 4);
}

std::optional<std::string> http_get_retrying(const std::string& host, uint16_t port, const std::string& path,
                                             std::chrono::milliseconds timeout, int attempts) {
  for (int i = 0; i < attempts; ++i) {
    if (auto body = http_get(host, port, path, timeout)) return body;
  }
  return std::nullopt;
}

Probe probe_broadcast(const std::string& host, uint16_t port, const std::string& path,
                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Socket sender = connect_to(host, port, deadline);
  Socket receiver = connect_to(host, port, deadline);
  if (!sender || !receiver) return {ProbeResult::Failed, fmt::format("cannot connect to {}:{}", host, port)};
  std::string sender_rest, receiver_rest;
  if (!ws_upgrade(sender, host, port, path, deadline, sender_rest) ||
      !ws_upgrade(receiver, host, port, path, deadline, receiver_rest)) {
    return {ProbeResult::NotSupported, fmt::format("the server refused a WebSocket upgrade on {}", path)};
  }
  const std::string message = "wsbench broadcast probe";
  if (!send_all(sender, masked_frame(message), deadline)) {
    return {ProbeResult::Failed, "sending the probe message failed"};
  }
  std::string got = receiver_rest;
  const bool arrived = recv_until(receiver, got, deadline, [](const std::string& b) { return first_frame_payload(b).has_value(); });
  if (arrived && first_frame_payload(got) == message) {
    return {ProbeResult::Supported, fmt::format("a message sent on {} reached a second connection", path)};
  }
  return {ProbeResult::NotSupported,
          fmt::format("a message sent on {} did not reach a second connection within {} ms: the server has no broadcast",
                      path, timeout.count())};
}

}  // namespace wsalloc::bench
