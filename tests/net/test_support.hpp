#pragma once
// Shared helpers for net_tests: bounded runs, socketpairs, allocation counting.

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "net/poller.hpp"

namespace wsalloc::net::test {

// The backend a test's Poller runs on: epoll in net_tests; io_uring in net_uring_tests, which
// compiles the poller and executor tests again with WSALLOC_TEST_URING (one behaviour, two
// backends).
#ifdef WSALLOC_TEST_URING
inline constexpr IoBackend kTestIo = IoBackend::Uring;
#else
inline constexpr IoBackend kTestIo = IoBackend::Epoll;
#endif
inline PollerOptions options(PollerOptions o = {}) {
  o.io = kTestIo;
  return o;
}

enum class RunOutcome { Stopped, TimedOut };

// Every run in a test is bounded: a guard timer stops the loop after `limit`.
inline RunOutcome run_bounded(Poller& p, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  bool timed_out = false;
  Poller::TimerId guard = p.after(limit, [&] {
    timed_out = true;
    p.stop();
  });
  p.run();
  p.cancel(guard);
  return timed_out ? RunOutcome::TimedOut : RunOutcome::Stopped;
}

// A connected AF_UNIX stream pair, non-blocking, closed on destruction (unless released).
struct SocketPair {
  int a = -1, b = -1;
  SocketPair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
      throw std::runtime_error("socketpair failed");
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  void send_byte_to_a() const { char c = 'x'; (void)!::write(b, &c, 1); }
  void close_a() { ::close(a); a = -1; }
};

// Handler that records what it saw and runs an optional action.
template <class F>
struct LambdaHandler final : IoHandler {
  F f;
  explicit LambdaHandler(F fn) : f(std::move(fn)) {}
  void on_io(uint32_t events) override { f(events); }
};
template <class F>
LambdaHandler(F) -> LambdaHandler<F>;

}  // namespace wsalloc::net::test
