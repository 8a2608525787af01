// wsload-fixture-server: a small, deliberately simple WebSocket echo server that can misbehave on
// purpose, so the tests can prove wsload catches each kind of fault. Thread per connection,
// blocking sockets, the protocol core's server-side parser. Not fast, not meant to be.
//
//   wsload-fixture-server --mode MODE [--nth N] [--pause-ms MS] [--port P] [--lifetime S]
//   echo        correct echo (each message back as one frame, same opcode)
//   corrupt     changes one payload byte (past the 8-byte sequence field) of the Nth message
//   drop        never echoes the Nth message
//   stall       echoes N messages, then echoes nothing more (still answers pings and Close)
//   close       closes the TCP connection without a Close frame on the Nth message
//   closeframe  sends Close 1001 on the Nth message
//   pause       holds the Nth message for --pause-ms before echoing it (and all behind it)
//   ping        sends a Ping before every echo
//   fragment    echoes every message as 3 frames
//   badframe    answers the Nth message with a frame that has RSV1 set (a protocol error)
//   bad-accept  answers the upgrade with a wrong Sec-WebSocket-Accept
//   refuse      answers the upgrade with 403 Forbidden
//   silent      accepts TCP, never answers the upgrade
//   raw         raw TCP echo (for wsload --raw)
//   raw-corrupt raw TCP echo that changes the Nth byte of the stream (counted per connection)
//   broadcast   every message goes to every other connection (the sender gets nothing back)
// N counts messages over the whole server, from 1. Prints `listening on 127.0.0.1:PORT` when
// ready; exits on SIGTERM, or by itself after --lifetime seconds (default 120) so a crashed test
// cannot leave it behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/frame.hpp"
#include "core/handshake.hpp"
#include "core/protocol.hpp"

namespace {

using namespace wsalloc::core;

enum class FixtureMode {
  Echo, Corrupt, Drop, Stall, Close, CloseFrame, Pause, Ping, Fragment, BadFrame, BadAccept, Refuse, Silent, Raw, RawCorrupt,
  Broadcast
};

struct Options {
  FixtureMode mode = FixtureMode::Echo;
  uint64_t nth = 5;
  int pause_ms = 300;
  uint16_t port = 0;
  unsigned lifetime_s = 120;
};

Options g_opt;
std::atomic<uint64_t> g_messages{0};

bool send_all(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

struct Peer;
std::mutex g_peers_mu;
std::vector<Peer*> g_broadcast_peers;

struct Peer {
  int fd = -1;
  std::mutex send_mu;
  bool closing = false;
  bool stalled = false;
  Opcode op = Opcode::Binary;
  std::string msg;

  bool send_frame(Opcode o, bool fin, std::string_view payload, uint8_t extra_bits = 0) {
    uint8_t h[kMaxFrameHeader];
    const size_t hn = write_frame_header(h, o, fin, payload.size());
    h[0] |= extra_bits;
    std::lock_guard lock(send_mu);
    return send_all(fd, h, hn) && send_all(fd, payload.data(), payload.size());
  }

  // --- the Sink of ProtocolParser<Role::Server>
  void on_data(Opcode o, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin) {
      msg.clear();
      op = o;
    }
    msg.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    if (end) on_message();
  }
  void on_ping(std::span<const uint8_t> p) { send_frame(Opcode::Pong, true, {reinterpret_cast<const char*>(p.data()), p.size()}); }
  void on_pong(std::span<const uint8_t>) {}
  void on_close(uint16_t code, std::string_view) {
    uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
    send_frame(Opcode::Close, true, code == 1005 ? std::string_view{} : std::string_view(reinterpret_cast<char*>(payload), 2));
    closing = true;
  }
  void on_protocol_error(CloseCode code, std::string_view why) {
    std::fprintf(stderr, "fixture: protocol error from client: %.*s\n", static_cast<int>(why.size()), why.data());
    const auto c = static_cast<uint16_t>(code);
    uint8_t payload[2] = {static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c)};
    send_frame(Opcode::Close, true, std::string_view(reinterpret_cast<char*>(payload), 2));
    closing = true;
  }

  void on_message() {
    const uint64_t k = ++g_messages;
    const bool nth = k == g_opt.nth;
    switch (g_opt.mode) {
      case FixtureMode::Corrupt:
        if (nth) corrupt_one_byte();
        break;
      case FixtureMode::Drop:
        if (nth) return;
        break;
      case FixtureMode::Stall:
        if (k > g_opt.nth) stalled = true;
        if (stalled) return;
        break;
      case FixtureMode::Close:
        if (nth) {
          ::shutdown(fd, SHUT_RDWR);
          closing = true;
          return;
        }
        break;
      case FixtureMode::CloseFrame:
        if (nth) {
          const uint8_t payload[2] = {0x03, 0xE9};  // 1001 going away
          send_frame(Opcode::Close, true, std::string_view(reinterpret_cast<const char*>(payload), 2));
          return;
        }
        break;
      case FixtureMode::Pause:
        if (nth) std::this_thread::sleep_for(std::chrono::milliseconds(g_opt.pause_ms));
        break;
      case FixtureMode::Ping:
        send_frame(Opcode::Ping, true, "fixture-ping");
        break;
      case FixtureMode::Fragment: {
        const size_t a = msg.size() / 3, b = 2 * msg.size() / 3;
        std::string_view m(msg);
        send_frame(op, false, m.substr(0, a));
        send_frame(Opcode::Continuation, false, m.substr(a, b - a));
        send_frame(Opcode::Continuation, true, m.substr(b));
        return;
      }
      case FixtureMode::BadFrame:
        if (nth) {
          send_frame(op, true, msg, 0x40);  // RSV1 without a negotiated extension
          return;
        }
        break;
      case FixtureMode::Broadcast: {
        std::lock_guard lock(g_peers_mu);
        for (Peer* p : g_broadcast_peers) {
          if (p != this) p->send_frame(op, true, msg);
        }
        return;
      }
      default:
        break;
    }
    send_frame(op, true, msg);
  }

  // Past the sequence field, and keeping text valid UTF-8: an ASCII byte becomes another one.
  void corrupt_one_byte() {
    if (msg.size() <= 8) {
      if (!msg.empty()) msg.back() = msg.back() == 'x' ? 'y' : 'x';
      return;
    }
    for (size_t i = std::max<size_t>(8, msg.size() / 2); i < msg.size(); ++i) {
      if (static_cast<uint8_t>(msg[i]) < 0x80) {
        msg[i] = msg[i] == 'x' ? 'y' : 'x';
        return;
      }
    }
    if (op == Opcode::Binary) msg[msg.size() / 2 + 4] ^= 0x01;
    else msg[8] = msg[8] == 'x' ? 'y' : 'x';  // template head padding is ASCII
  }
};

void serve_raw(int fd) {
  std::vector<char> buf(64 * 1024);
  uint64_t seen = 0;  // stream bytes so far
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    const uint64_t nth = g_opt.nth;  // 1-based byte index
    if (g_opt.mode == FixtureMode::RawCorrupt && nth > seen && nth <= seen + static_cast<uint64_t>(n)) buf[nth - seen - 1] ^= 0x10;
    seen += static_cast<uint64_t>(n);
    if (!send_all(fd, buf.data(), static_cast<size_t>(n))) break;
  }
  ::close(fd);
}

void serve(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (g_opt.mode == FixtureMode::Raw || g_opt.mode == FixtureMode::RawCorrupt) return serve_raw(fd);

  std::string req;
  HandshakeParser hp;
  HandshakeStatus st = HandshakeStatus::Incomplete;
  char buf[64 * 1024];
  while (st == HandshakeStatus::Incomplete) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      return;
    }
    req.append(buf, static_cast<size_t>(n));
    st = hp.feed(req);
  }
  if (g_opt.mode == FixtureMode::Silent) {
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
    return;
  }
  if (g_opt.mode == FixtureMode::Refuse) {
    const std::string_view r = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send_all(fd, r.data(), r.size());
    ::close(fd);
    return;
  }
  char resp[512];
  size_t rn = write_handshake_response(st, hp.request(), resp, sizeof resp);
  if (st != HandshakeStatus::Accepted) {
    send_all(fd, resp, rn);
    ::close(fd);
    return;
  }
  if (g_opt.mode == FixtureMode::BadAccept) {
    std::string_view r(resp, rn);
    const size_t at = r.find("Sec-WebSocket-Accept: ");
    if (at != std::string_view::npos) {
      char& c = resp[at + 22];
      c = c == 'A' ? 'B' : 'A';
    }
  }
  if (!send_all(fd, resp, rn)) {
    ::close(fd);
    return;
  }

  Peer peer;
  peer.fd = fd;
  ProtocolParser<Role::Server, Peer> parser(peer, ProtocolLimits{0});
  if (g_opt.mode == FixtureMode::Broadcast) {
    std::lock_guard lock(g_peers_mu);
    g_broadcast_peers.push_back(&peer);
  }
  std::string rest = req.substr(hp.request().header_bytes);
  if (!rest.empty()) parser.feed(std::span<uint8_t>(reinterpret_cast<uint8_t*>(rest.data()), rest.size()));
  while (!peer.closing && parser.state() == ParserState::Open) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    parser.feed(std::span<uint8_t>(reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(n)));
  }
  if (g_opt.mode == FixtureMode::Broadcast) {
    std::lock_guard lock(g_peers_mu);
    g_broadcast_peers.erase(std::find(g_broadcast_peers.begin(), g_broadcast_peers.end(), &peer));
  }
  {
    std::lock_guard lock(peer.send_mu);  // no broadcast may be writing to this fd any more
  }
  ::close(fd);
}

bool parse_mode(std::string_view s, FixtureMode& m) {
  static const std::pair<std::string_view, FixtureMode> kModes[] = {
      {"echo", FixtureMode::Echo},       {"corrupt", FixtureMode::Corrupt},   {"drop", FixtureMode::Drop},
      {"stall", FixtureMode::Stall},     {"close", FixtureMode::Close},       {"closeframe", FixtureMode::CloseFrame},
      {"pause", FixtureMode::Pause},     {"ping", FixtureMode::Ping},         {"fragment", FixtureMode::Fragment},
      {"badframe", FixtureMode::BadFrame}, {"bad-accept", FixtureMode::BadAccept}, {"refuse", FixtureMode::Refuse},
      {"silent", FixtureMode::Silent},   {"raw", FixtureMode::Raw},   {"raw-corrupt", FixtureMode::RawCorrupt},           {"broadcast", FixtureMode::Broadcast}};
  for (auto& [name, mode] : kModes) {
    if (s == name) {
      m = mode;
      return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--mode" && v && parse_mode(v, g_opt.mode)) ++i;
    else if (a == "--nth" && v) g_opt.nth = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--pause-ms" && v) g_opt.pause_ms = std::atoi(argv[++i]);
    else if (a == "--port" && v) g_opt.port = static_cast<uint16_t>(std::atoi(argv[++i]));
    else if (a == "--lifetime" && v) g_opt.lifetime_s = static_cast<unsigned>(std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "wsload-fixture-server: bad argument \"%s\" (see the file comment)\n", argv[i]);
      return 2;
    }
  }
  alarm(g_opt.lifetime_s);  // SIGALRM's default action ends the process

  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_opt.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 1024) != 0) {
    std::fprintf(stderr, "wsload-fixture-server: bind/listen 127.0.0.1:%u: %s\n", g_opt.port, std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on 127.0.0.1:%u\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  for (;;) {
    const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
      std::fprintf(stderr, "wsload-fixture-server: accept: %s\n", std::strerror(errno));
      return 1;
    }
    std::thread(serve, fd).detach();
  }
}
