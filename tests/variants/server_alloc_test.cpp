// Exact proof on real sockets, in-process, for BOTH I/O backends: a Worker of the arena, pool and
// zerocopy variants serves loopback connections on this thread while a client thread sends the
// workloads (pipelined small messages, text, 64 KiB, 1 MiB, fragments, pings). AllocScope counts
// only the thread it lives on, so it is opened and closed on the server thread (by completions the
// client posts), after a warm-up that has seen every workload: the window must show 0
// allocations. steady_state_alloc_test.cpp proves the pipelines alone on the in-memory transport;
// this adds the transports: epoll's Connection, io_uring's UringConnection, the backends.
#include "malloccount/alloc_scope.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/io_backend.hpp"
#include "net/socket.hpp"
#include "uring_required.hpp"
#include "variants/arena/arena_variant.hpp"
#include "variants/connection_budget.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/worker.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"
#include "wire_client.hpp"

namespace wsalloc::testing {
namespace {

using core::Opcode;
using namespace std::chrono_literals;

// One blocking client connection: frames out, whole replies back.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{10, 0};  // a server that stops answering fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    write_all(kUpgradeRequest);
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) head += read_some();
    auto [http, rest] = split_http(head);
    if (http.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("no 101: " + http);
    decoder_.feed(rest);
  }
  ~Client() { ::close(fd_); }

  void write_all(const std::string& bytes) {
    for (size_t off = 0; off < bytes.size();) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      off += static_cast<size_t>(n);
    }
  }
  // Reads until `count` replies are in; returns them and forgets them.
  std::vector<Reply> replies(size_t count) {
    while (decoder_.replies.size() < count) decoder_.feed(read_some());
    std::vector<Reply> out;
    out.swap(decoder_.replies);
    return out;
  }

 private:
  std::string read_some() {
    char buf[256 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("recv failed or timed out");
    return std::string(buf, static_cast<size_t>(n));
  }
  int fd_;
  ReplyDecoder decoder_;
};

struct Message {
  std::string wire;   // every frame of it, masked
  Opcode op;
  std::string payload;
  size_t replies = 1;  // frames the server sends back (pings: a pong and the echo)
};

std::vector<Message> workloads() {
  std::vector<Message> all;
  std::string pipelined;
  for (int i = 0; i < 16; ++i) pipelined += client_frame(Opcode::Binary, std::string(32, char('a' + i)));
  all.push_back({pipelined, Opcode::Binary, std::string(32, 'p'), 16});
  all.push_back({client_frame(Opcode::Text, std::string(512, 't')), Opcode::Text, std::string(512, 't')});
  for (size_t size : {size_t{65536}, size_t{1} << 20}) {
    std::string p(size, 'L');
    all.push_back({client_frame(Opcode::Binary, p), Opcode::Binary, p});
  }
  std::string part(4096, 'f'), frag = client_frame(Opcode::Binary, part, false);
  frag += client_frame(Opcode::Ping, "between") + client_frame(Opcode::Continuation, part, false);
  frag += client_frame(Opcode::Continuation, part, true);
  all.push_back({frag, Opcode::Binary, part + part + part, 2});
  return all;
}

template <class V, net::IoBackend kIo>
struct Case {
  using Variant = V;
  static constexpr net::IoBackend io = kIo;
};

template <class C>
class ServerAllocations : public ::testing::Test {};
using Cases = ::testing::Types<
    Case<variants::ArenaVariant, net::IoBackend::Epoll>, Case<variants::PoolVariant, net::IoBackend::Epoll>,
    Case<variants::ZeroCopyVariant, net::IoBackend::Epoll>, Case<variants::ArenaVariant, net::IoBackend::Uring>,
    Case<variants::PoolVariant, net::IoBackend::Uring>, Case<variants::ZeroCopyVariant, net::IoBackend::Uring>>;
TYPED_TEST_SUITE(ServerAllocations, Cases);

TYPED_TEST(ServerAllocations, zero_allocations_per_message_on_real_sockets_after_warmup) {
  if constexpr (TypeParam::io == net::IoBackend::Uring) {
    if (const auto& u = net::probe_uring(); !u.available) {
      if (test::uring_required()) FAIL() << "io_uring unavailable (" << u.reason << ") but " << test::kUringRequiredWhy;
      GTEST_SKIP() << "io_uring unavailable: " << u.reason;
    }
  }
  variants::ServerOptions options;
  options.io = TypeParam::io;
  variants::ConnectionBudget budget(0);
  const int lfd = net::listen_tcp("127.0.0.1", 0, false);
  const uint16_t port = net::local_port(lfd);
  variants::Worker<typename TypeParam::Variant, TypeParam::io> worker(options, lfd, 0, budget);

  std::optional<malloccount::AllocScope> scope;  // lives on this (the server's) thread
  std::atomic<int> phase{0};                     // 1: counting; 2: counted
  uint64_t counted = 0;
  std::string failure;
  const std::vector<Message> all = workloads();

  std::thread client([&] {
    try {
      std::vector<std::unique_ptr<Client>> conns;
      for (int i = 0; i < 4; ++i) conns.push_back(std::make_unique<Client>(port));
      auto round = [&] {
        for (const Message& m : all) {
          for (auto& c : conns) {  // one connection at a time: the peak backlog is the same every round
            c->write_all(m.wire);
            std::vector<Reply> r = c->replies(m.replies);
            const Reply& echo = r.back();
            if (echo.op != m.op || echo.payload.size() != m.payload.size())
              throw std::runtime_error("wrong echo of a " + std::to_string(m.payload.size()) + " B message");
          }
        }
      };
      for (int i = 0; i < 3; ++i) round();
      std::this_thread::sleep_for(300ms);  // past the first timer sweep (it sizes the timer heap once)
      round();
      worker.poller().post_completion([&] {
        scope.emplace();
        phase = 1;
      });
      while (phase.load() != 1) std::this_thread::sleep_for(1ms);
      for (int i = 0; i < 3; ++i) round();
      worker.poller().post_completion([&] {
        counted = scope->allocations();
        scope.reset();
        phase = 2;
      });
      while (phase.load() != 2) std::this_thread::sleep_for(1ms);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    worker.request_shutdown();
  });
  worker.run();  // until the shutdown the client requested
  client.join();
  ASSERT_EQ(failure, "");
  ASSERT_EQ(phase.load(), 2);
  EXPECT_EQ(counted, 0u) << "allocations on the server thread during 3 rounds of every workload";
}

}  // namespace
}  // namespace wsalloc::testing
