// wsalloc-rawecho: raw TCP echo, the machine's ceiling for every echo scenario.
//
// It does no WebSocket work (no handshake, no framing), so what it costs per message is the floor a
// WebSocket server pays in syscalls and scheduling alone. `wsload --raw` drives it.
//
// --io uring: the io_uring ceiling instead (uring_echo.hpp); what follows is the epoll one.
//
// Shape: one thread, one epoll set (level-triggered), one receive buffer for the whole loop. Per
// readable event: one read() into the loop buffer, one write() of the same bytes back. Nothing is
// allocated per read. A connection gets its own pending-bytes buffer only when a write is short; while
// it has pending bytes it is not read (interest switches to EPOLLOUT), so pending never exceeds one
// loop buffer and a slow reader pushes back on its sender through TCP.
//
// CLI contract (shared with wsalloc-server and the peers): --host H --port P (0 = a free port);
// prints exactly one line `listening on H:P` when ready; exits 0 on SIGINT/SIGTERM after closing
// every connection; a bad flag is reported on stderr and exits 2.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "uring_echo.hpp"

namespace {

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// 512 KiB: the same size as the WebSocket servers' per-loop receive buffer, so a large message
// costs rawecho the same number of reads as it costs them.
constexpr size_t kLoopBufferBytes = 512 * 1024;
constexpr int kMaxEvents = 256;
// Bounds the accept burst per listener event so a connection storm cannot starve echo traffic.
constexpr int kAcceptsPerEvent = 64;

[[noreturn]] void die(const char* op, int err) {
  std::fprintf(stderr, "wsalloc-rawecho: %s: %s\n", op, std::strerror(err));
  std::exit(kExitFailure);
}

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool uring = false;
};

void usage(FILE* out) {
  std::fprintf(out, "usage: wsalloc-rawecho [--host H] [--port P] [--io epoll|uring]\n"
                    "  raw TCP echo (no WebSocket); --port 0 picks a free port\n");
}

// Returns kExitOk with `opt` filled, or the exit code to leave with.
int parse_args(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(kExitOk);
    }
    std::string_view value;
    std::string_view name = a;
    if (auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (a == "--host" || a == "--port" || a == "--io") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "wsalloc-rawecho: %s needs a value\n", argv[i]);
        return kExitUsage;
      }
      value = argv[++i];
    } else {
      std::fprintf(stderr, "wsalloc-rawecho: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return kExitUsage;
    }
    if (name == "--host") {
      opt.host = value;
    } else if (name == "--port") {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || p != value.data() + value.size() || v > 65535) {
        std::fprintf(stderr, "wsalloc-rawecho: --port '%.*s' is not a port (0..65535)\n",
                     int(value.size()), value.data());
        return kExitUsage;
      }
      opt.port = uint16_t(v);
    } else if (name == "--io") {
      if (value != "epoll" && value != "uring") {
        std::fprintf(stderr, "wsalloc-rawecho: --io '%.*s' is neither epoll nor uring\n", int(value.size()), value.data());
        return kExitUsage;
      }
      opt.uring = value == "uring";
    } else {
      std::fprintf(stderr, "wsalloc-rawecho: unknown argument '%s'\n", argv[i]);
      return kExitUsage;
    }
  }
  return kExitOk;
}

int listen_on(const Options& opt, uint16_t& bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(opt.port);
  if (int rc = getaddrinfo(opt.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    std::fprintf(stderr, "wsalloc-rawecho: getaddrinfo(%s:%s): %s\n", opt.host.c_str(), port.c_str(),
                 gai_strerror(rc));
    std::exit(kExitFailure);
  }
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    int err = errno;
    std::fprintf(stderr, "wsalloc-rawecho: bind(%s:%u): %s\n", opt.host.c_str(), opt.port,
                 std::strerror(err));
    std::exit(kExitFailure);
  }
  freeaddrinfo(res);
  if (listen(fd, 4096) != 0) die("listen", errno);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) die("getsockname", errno);
  bound_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

// Per-connection state. `pending` stays empty (no heap) unless a write was short.
struct Conn {
  std::vector<uint8_t> pending;
  size_t pending_off = 0;
};

class EchoLoop {
 public:
  EchoLoop(int listen_fd, int signal_fd) : listen_fd_(listen_fd), signal_fd_(signal_fd) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) die("epoll_create1", errno);
    add(listen_fd_, EPOLLIN);
    add(signal_fd_, EPOLLIN);
    buf_ = std::make_unique<uint8_t[]>(kLoopBufferBytes);
  }

  // Returns when SIGINT/SIGTERM arrives, after every connection is closed.
  void run() {
    epoll_event events[kMaxEvents];
    for (;;) {
      ++waits_;
      int n = epoll_wait(epfd_, events, kMaxEvents, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait", errno);
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        uint32_t ev = events[i].events;
        if (fd == listen_fd_) {
          accept_some();
        } else if (fd == signal_fd_) {
          shutdown_all();
          // The cost anatomy (system calls per message) for whoever reads stderr.
          std::fprintf(stderr, "wsalloc-rawecho: epoll_wait calls %llu\n", static_cast<unsigned long long>(waits_));
          return;
        } else {
          // Re-look-up by fd: a connection closed earlier in this batch leaves a null slot, and its
          // fd number may already belong to a newer connection (then the event is merely spurious).
          if (static_cast<size_t>(fd) >= conns_.size() || !conns_[fd]) continue;
          if (ev & EPOLLOUT) {
            if (!flush_pending(fd)) continue;
          }
          if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
          // Bytes still owed keep their order: never read past them. A hang-up with bytes still
          // owed (the flush above did not fail) can only end the connection.
          if (conns_[fd]->pending.empty()) on_readable(fd);
          else if (ev & (EPOLLHUP | EPOLLERR)) close_conn(fd);
        }
      }
    }
  }

 private:
  void add(int fd, uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl(ADD)", errno);
  }
  void modify(int fd, uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &e) != 0) die("epoll_ctl(MOD)", errno);
  }

  void accept_some() {
    for (int i = 0; i < kAcceptsPerEvent; ++i) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
        // Out of fds or memory: keep serving existing connections; the backlog holds the rest.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return;
        die("accept4", errno);
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (static_cast<size_t>(fd) >= conns_.size()) conns_.resize(fd + 1);
      conns_[fd] = std::make_unique<Conn>();
      add(fd, EPOLLIN);
    }
  }

  // The per-message path: one read, one write, no allocation unless the write is short.
  void on_readable(int fd) {
    ssize_t r = read(fd, buf_.get(), kLoopBufferBytes);
    if (r == 0) return close_conn(fd);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return close_conn(fd);
    }
    size_t len = size_t(r);
    ssize_t w = write_all_now(fd, buf_.get(), len);
    if (w < 0) return close_conn(fd);
    if (size_t(w) < len) stash_slow(fd, buf_.get() + w, len - size_t(w));
  }

  // Writes as much as the socket takes now. Returns bytes written, or -1 on a fatal error.
  static ssize_t write_all_now(int fd, const uint8_t* p, size_t len) {
    size_t done = 0;
    while (done < len) {
      ssize_t w = write(fd, p + done, len - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;
        return -1;
      }
      done += size_t(w);
    }
    return ssize_t(done);
  }

  [[gnu::noinline]] void stash_slow(int fd, const uint8_t* p, size_t len) {
    Conn& c = *conns_[fd];
    c.pending.assign(p, p + len);
    c.pending_off = 0;
    // Stop reading until the peer drains what we owe it: pending stays bounded by one loop buffer.
    modify(fd, EPOLLOUT);
  }

  // Returns false if the connection was closed.
  bool flush_pending(int fd) {
    Conn& c = *conns_[fd];
    size_t left = c.pending.size() - c.pending_off;
    ssize_t w = write_all_now(fd, c.pending.data() + c.pending_off, left);
    if (w < 0) {
      close_conn(fd);
      return false;
    }
    c.pending_off += size_t(w);
    if (c.pending_off == c.pending.size()) {
      c.pending.clear();  // keeps capacity: a connection that was short once likely will be again
      c.pending_off = 0;
      modify(fd, EPOLLIN);
    }
    return true;
  }

  void close_conn(int fd) {
    close(fd);  // also removes it from the epoll set (no dup'd fds here)
    conns_[fd].reset();
  }

  void shutdown_all() {
    for (size_t fd = 0; fd < conns_.size(); ++fd)
      if (conns_[fd]) close_conn(int(fd));
    close(listen_fd_);
  }

  int epfd_ = -1;
  uint64_t waits_ = 0;
  int listen_fd_;
  int signal_fd_;
  std::unique_ptr<uint8_t[]> buf_;             // the one receive buffer of the loop
  std::vector<std::unique_ptr<Conn>> conns_;  // indexed by fd; null = closed
};

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (int rc = parse_args(argc, argv, opt); rc != kExitOk) return rc;

  // Block the signals before anything else so they are only ever seen through the signalfd; a
  // client that vanishes mid-write must not kill us with SIGPIPE either.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) die("sigprocmask", errno);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) die("signalfd", errno);

  uint16_t port = 0;
  int lfd = listen_on(opt, port);
  static std::string ready_line;  // printed by the loop once it can serve
  ready_line = "listening on " + opt.host + ":" + std::to_string(port) + "\n";
  auto announce = [] {
    std::fputs(ready_line.c_str(), stdout);
    std::fflush(stdout);
  };
  if (opt.uring) return run_uring_echo(lfd, sfd, announce);
  EchoLoop loop(lfd, sfd);
  announce();
  loop.run();
  return kExitOk;
}
