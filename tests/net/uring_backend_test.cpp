#include "net/uring_backend.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/poller.hpp"
#include "net/socket.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;

PollerOptions uring_options(ProvidedBuffersOptions buffers = {}) {
  PollerOptions o;
  o.io = IoBackend::Uring;
  o.uring.buffers = buffers;
  return o;
}

// Runs the loop until `done()` (checked every millisecond, after `step()`), at most `limit`.
// Once per Poller: stop() is sticky, so a test that needs phases runs them from `step`.
bool run_until(Poller& p, const std::function<bool()>& done, std::chrono::milliseconds limit = 5s,
               const std::function<void()>& step = [] {}) {
  bool ok = false;
  Poller::TimerId tick = p.every(1ms, [&] {
    step();
    if (done()) {
      ok = true;
      p.stop();
    }
  });
  test::run_bounded(p, limit);
  p.cancel(tick);
  return ok;
}

// A stream handler that echoes what it receives (queueing what send() does not take yet), and
// records everything that happens to it.
struct Recorder final : StreamHandler {
  UringBackend* backend = nullptr;
  UringBackend::Ref ref = 0;
  bool echo = true;
  std::string received, queued;
  bool peer_shut = false;
  int failed = 0, sent = 0;
  std::span<uint8_t> target;
  std::function<void(std::span<uint8_t>)> on_bytes;

  void on_received(std::span<uint8_t> b, bool) override {
    received.append(reinterpret_cast<const char*>(b.data()), b.size());
    if (on_bytes) on_bytes(b);
    if (echo) send(b);
  }
  void send(std::span<const uint8_t> b) {
    if (queued.empty()) {
      const iovec v{const_cast<uint8_t*>(b.data()), b.size()};
      b = b.subspan(backend->send(ref, &v, 1));
    }
    queued.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  void on_sent() override {
    ++sent;
    if (queued.empty()) return;
    const iovec v{queued.data(), queued.size()};
    queued.erase(0, backend->send(ref, &v, 1));
  }
  void on_peer_shut() override { peer_shut = true; }
  void on_failed(int err) override { failed = err; }
  std::span<uint8_t> receive_target() override { return target; }
};

// A socketpair whose end `a` is handed to the backend (which then owns and closes it).
struct StreamPair {
  test::SocketPair sp;
  Recorder rec;
  StreamPair(Poller& p) {
    rec.backend = p.uring();
    rec.ref = p.uring()->open_stream(sp.a, &rec);
    sp.a = -1;
  }
  void write(const std::string& s) const { ASSERT_EQ(::write(sp.b, s.data(), s.size()), ssize_t(s.size())); }
  std::string read_available() const {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(sp.b, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
    return out;
  }
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 7;
  for (char& c : s) c = char((x = x * 1664525u + 1013904223u) >> 24);
  return s;
}

TEST(UringBackend, stream_echo_keeps_order_through_short_sends_and_full_sockets) {
  Poller p(uring_options());
  StreamPair s(p);
  const std::string out = pattern(4u << 20);
  size_t written = 0;
  std::string back;
  ASSERT_TRUE(run_until(
      p, [&] { return back.size() == out.size(); }, 10s,
      [&] {
        if (written < out.size()) {
          ssize_t n = ::write(s.sp.b, out.data() + written, std::min<size_t>(out.size() - written, 256 << 10));
          if (n > 0) written += size_t(n);
        }
        back += s.read_available();
      }))
      << "echoed " << back.size() << " of " << out.size();
  EXPECT_TRUE(back == out) << "echoed bytes differ";
  EXPECT_GT(p.uring()->buffers().stats().pins, 0u) << "received bytes were never sent in place";
}

TEST(UringBackend, a_receive_cut_by_its_buffers_end_says_the_socket_holds_more) {
  Poller p(uring_options({.count = 2, .bytes = 4096, .incremental = false}));
  struct Log final : StreamHandler {
    std::vector<std::pair<size_t, bool>> receives;
    size_t total = 0;
    void on_received(std::span<uint8_t> b, bool more) override {
      receives.push_back({b.size(), more});
      total += b.size();
    }
    void on_sent() override {}
    void on_peer_shut() override {}
    void on_failed(int) override {}
    std::span<uint8_t> receive_target() override { return {}; }
  } log;
  test::SocketPair sp;
  p.uring()->open_stream(sp.a, &log);
  sp.a = -1;
  const std::string data(6000, 'm');
  ASSERT_EQ(::write(sp.b, data.data(), data.size()), ssize_t(data.size()));
  ASSERT_TRUE(run_until(p, [&] { return log.total == data.size(); }));
  ASSERT_GE(log.receives.size(), 2u);
  EXPECT_EQ(log.receives[0], (std::pair<size_t, bool>{4096, true}));
  EXPECT_FALSE(log.receives.back().second) << "the last receive took everything the socket had";
}

TEST(UringBackend, a_paused_stream_reads_nothing_until_resumed) {
  Poller p(uring_options());
  StreamPair s(p);
  s.rec.echo = false;
  p.uring()->set_receiving(s.rec.ref, false, false);
  int ticks = 0;
  bool read_while_paused = false;
  ASSERT_TRUE(run_until(
      p, [&] { return s.rec.received == "held back"; }, 5s,
      [&] {
        ++ticks;
        if (ticks == 2) s.write("held back");  // the pause has taken effect by now
        if (ticks > 2 && ticks < 60) read_while_paused |= !s.rec.received.empty();
        if (ticks == 60) p.uring()->set_receiving(s.rec.ref, true, false);
      }));
  EXPECT_FALSE(read_while_paused);
}

TEST(UringBackend, the_peers_fin_is_reported) {
  Poller p(uring_options());
  StreamPair s(p);
  s.write("last words");
  ::shutdown(s.sp.b, SHUT_WR);
  ASSERT_TRUE(run_until(p, [&] { return s.rec.peer_shut; }));
  EXPECT_EQ(s.rec.received, "last words");
}

TEST(UringBackend, a_paused_stream_watching_for_shutdown_hears_the_fin_behind_unread_bytes) {
  Poller p(uring_options());
  StreamPair s(p);
  p.uring()->set_receiving(s.rec.ref, false, /*watch_shut=*/true);
  int ticks = 0;
  ASSERT_TRUE(run_until(p, [&] { return s.rec.peer_shut; }, 5s, [&] {
    if (++ticks != 2) return;
    s.write("never read");
    ::shutdown(s.sp.b, SHUT_WR);
  }));
  EXPECT_EQ(s.rec.received, "");
}

TEST(UringBackend, a_direct_receive_fills_its_target_exactly_then_the_ring_takes_over) {
  Poller p(uring_options());
  StreamPair s(p);
  s.rec.echo = false;
  std::vector<uint8_t> big(300 << 10);
  s.rec.target = big;
  bool landed_in_target = false;
  s.rec.on_bytes = [&](std::span<uint8_t> b) {
    if (b.data() == big.data() && b.size() == big.size()) landed_in_target = true;
    s.rec.target = {};  // the next receive goes to the provided buffers again
  };
  p.uring()->receive_target_changed(s.rec.ref);
  const std::string frame = pattern(big.size()), tail = "and then some";
  std::string all = frame + tail;
  size_t written = 0;
  ASSERT_TRUE(run_until(
      p, [&] { return s.rec.received.size() == all.size(); }, 10s,
      [&] {
        if (written < all.size()) {
          ssize_t n = ::write(s.sp.b, all.data() + written, all.size() - written);
          if (n > 0) written += size_t(n);
        }
      }));
  EXPECT_TRUE(landed_in_target) << "the large receive did not arrive whole in the target";
  EXPECT_TRUE(s.rec.received == all);
  EXPECT_TRUE(std::memcmp(big.data(), frame.data(), frame.size()) == 0);
}

TEST(UringBackend, streams_starved_by_an_empty_buffer_ring_are_rearmed_when_buffers_return) {
  // Two whole buffers for eight streams whose bytes are all there before the first receive: six
  // receives end with ENOBUFS at once, and every stream must still get its bytes.
  Poller p(uring_options({.count = 2, .bytes = 4096, .incremental = false}));
  std::vector<std::unique_ptr<StreamPair>> streams;
  for (int i = 0; i < 8; ++i) {
    streams.push_back(std::make_unique<StreamPair>(p));
    streams.back()->rec.echo = false;
    streams.back()->write(std::string(1000, char('a' + i)));
  }
  ASSERT_TRUE(run_until(p, [&] {
    for (auto& s : streams)
      if (s->rec.received.size() != 1000) return false;
    return true;
  }));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(streams[i]->rec.received, std::string(1000, char('a' + i)));
  EXPECT_NE(p.uring()->stats_json().find("\"enobufs\":"), std::string::npos);
  EXPECT_EQ(p.uring()->stats_json().find("\"enobufs\":0,"), std::string::npos) << p.uring()->stats_json();
}

TEST(UringBackend, close_stream_closes_the_descriptor_once_the_kernel_is_done_with_it) {
  Poller p(uring_options());
  StreamPair s(p);
  p.uring()->close_stream(s.rec.ref, CloseMode::Graceful);
  char c;
  ASSERT_TRUE(run_until(p, [&] { return ::read(s.sp.b, &c, 1) == 0; })) << "the peer never saw the close";
}

TEST(UringBackend, a_graceful_close_still_sends_what_was_queued_in_the_same_iteration) {
  Poller p(uring_options());
  StreamPair s(p);
  s.rec.echo = false;
  s.rec.on_bytes = [&](std::span<uint8_t>) {
    s.rec.send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("goodbye"), 7));
    p.uring()->close_stream(s.rec.ref, CloseMode::Graceful);
  };
  s.write("x");
  std::string back;
  char c;
  ASSERT_TRUE(run_until(p, [&] {
    back += s.read_available();
    return ::read(s.sp.b, &c, 1) == 0;
  }));
  EXPECT_EQ(back, "goodbye");
}

TEST(UringBackend, a_reset_close_drops_what_was_queued) {
  Poller p(uring_options());
  StreamPair s(p);
  s.rec.echo = false;
  s.rec.on_bytes = [&](std::span<uint8_t>) {
    s.rec.send(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("unsent"), 6));
    p.uring()->close_stream(s.rec.ref, CloseMode::Reset);
  };
  s.write("x");
  char buf[16];
  ssize_t n = -1;
  ASSERT_TRUE(run_until(p, [&] { return (n = ::read(s.sp.b, buf, sizeof buf)) >= 0; }));
  EXPECT_EQ(n, 0) << "bytes queued before a reset close went out";
}

TEST(UringBackend, send_takes_nothing_while_a_send_is_in_flight) {
  Poller p(uring_options());
  StreamPair s(p);
  const std::string big = pattern(4u << 20);  // far more than the socket holds: the send waits
  const iovec v{const_cast<char*>(big.data()), big.size()};
  const size_t first = p.uring()->send(s.rec.ref, &v, 1);
  EXPECT_GT(first, 0u);
  EXPECT_LT(first, big.size()) << "one send holds at most its chunk limit";
  EXPECT_TRUE(p.uring()->sending(s.rec.ref));
  EXPECT_EQ(p.uring()->unsent_bytes(s.rec.ref), first);
  int ticks = 0;
  bool in_flight_took_more = false, stopped_sending = false;
  std::string back;
  ASSERT_TRUE(run_until(p, [&] { return s.rec.sent == 1; }, 10s, [&] {
    if (++ticks < 30) {  // submitted; the peer reads nothing yet
      stopped_sending |= !p.uring()->sending(s.rec.ref);
      in_flight_took_more |= p.uring()->send(s.rec.ref, &v, 1) != 0;
      return;
    }
    back += s.read_available();  // reading lets it finish: on_sent reports it
  }));
  EXPECT_FALSE(stopped_sending);
  EXPECT_FALSE(in_flight_took_more);
  EXPECT_EQ(p.uring()->sent_bytes(s.rec.ref), first);
  EXPECT_FALSE(p.uring()->sending(s.rec.ref));
  EXPECT_EQ(back, big.substr(0, first));
}

TEST(UringBackend, multishot_accept_hands_over_every_connection) {
  Poller p(uring_options());
  int lfd = listen_tcp("127.0.0.1", 0, false);
  const uint16_t port = local_port(lfd);
  struct Acceptor final : AcceptHandler {
    std::vector<int> fds;
    void on_accepted(int fd) override { fds.push_back(fd); }
    void on_accept_failed(int) override {}
  } acceptor;
  UringBackend::Ref ref = p.uring()->accept(lfd, &acceptor);
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    clients.push_back(c);
  }
  ASSERT_TRUE(run_until(p, [&] { return acceptor.fds.size() == 3; }));
  for (int fd : acceptor.fds) EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  p.uring()->stop_accepting(ref);  // the cancel is submitted when the backend is torn down
  ::close(lfd);
  for (int fd : acceptor.fds) ::close(fd);
  for (int fd : clients) ::close(fd);
}

}  // namespace
}  // namespace wsalloc::net
