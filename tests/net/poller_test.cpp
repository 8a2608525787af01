#include "net/poller.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "malloccount/alloc_scope.hpp"
#include "net/fd_limit.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;
using test::LambdaHandler;
using test::run_bounded;
using test::RunOutcome;
using test::SocketPair;

// ---- fd dispatch ----------------------------------------------------------------------------

TEST(Poller, socketpair_readable_fires_handler) {
  Poller p(test::options());
  SocketPair sp;
  uint32_t seen = 0;
  LambdaHandler h([&](uint32_t ev) {
    seen = ev;
    char c;
    (void)!::read(sp.a, &c, 1);
    p.stop();
  });
  p.watch(sp.a, &h, kReadable);
  sp.send_byte_to_a();
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(seen, uint32_t{kReadable});
}

TEST(Poller, unwatch_inside_another_handler_of_the_same_batch_prevents_its_dispatch) {
  Poller p(test::options());
  SocketPair s1, s2;
  int calls1 = 0, calls2 = 0;
  // Symmetric, because the kernel's order within a batch is not ours to choose: whichever runs
  // first unwatches the other, so exactly one may run.
  LambdaHandler h1([&](uint32_t) {
    ++calls1;
    p.unwatch(s2.a);
    p.unwatch(s1.a);
  });
  LambdaHandler h2([&](uint32_t) {
    ++calls2;
    p.unwatch(s1.a);
    p.unwatch(s2.a);
  });
  p.watch(s1.a, &h1, kReadable);
  p.watch(s2.a, &h2, kReadable);
  s1.send_byte_to_a();
  s2.send_byte_to_a();
  p.on_iteration_end([&] { p.stop(); });  // exactly one iteration; both fds are ready already
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(calls1 + calls2, 1);
}

TEST(Poller, stale_event_does_not_reach_a_new_watch_of_a_reused_fd_number) {
  Poller p(test::options());
  SocketPair s1, s2;
  int calls_first = 0, calls_new = 0, spare_peer = -1;
  LambdaHandler h_new([&](uint32_t) { ++calls_new; });
  // The first handler to run closes the OTHER fd and at once puts a fresh socket under the same
  // number (as accept() would), watched for readable|writable. The other fd's event is already
  // in this batch: it must be recognised as stale, although the number is watched again.
  auto first = [&](int other) {
    if (calls_first++ > 0) return;
    p.unwatch(other);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ASSERT_EQ(::dup3(fds[0], other, O_CLOEXEC), other);  // closes the old socket atomically
    ::close(fds[0]);
    spare_peer = fds[1];
    p.watch(other, &h_new, kReadable | kWritable);  // writable at once: a live event would fire
  };
  LambdaHandler h1([&](uint32_t) { first(s2.a); });
  LambdaHandler h2([&](uint32_t) { first(s1.a); });
  p.watch(s1.a, &h1, kReadable);
  p.watch(s2.a, &h2, kReadable);
  s1.send_byte_to_a();
  s2.send_byte_to_a();
  int iterations = 0;
  int calls_new_after_first_iteration = -1;
  p.on_iteration_end([&] {
    if (++iterations == 1) calls_new_after_first_iteration = calls_new;
    if (iterations == 2) p.stop();
  });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(calls_new_after_first_iteration, 0) << "stale event dispatched to the new watch";
  EXPECT_GE(calls_new, 1) << "the next iteration does deliver the new socket's own events";
  p.unwatch(s1.a);
  p.unwatch(s2.a);
  if (spare_peer >= 0) ::close(spare_peer);
}

TEST(Poller, handler_may_unwatch_and_close_its_own_fd) {
  Poller p(test::options());
  SocketPair sp;
  int calls = 0;
  LambdaHandler h([&](uint32_t) {
    ++calls;
    p.unwatch(sp.a);
    sp.close_a();
  });
  p.watch(sp.a, &h, kReadable);
  sp.send_byte_to_a();
  int iterations = 0;
  p.on_iteration_end([&] {
    if (++iterations == 3) p.stop();
  });
  p.after(1ms, [] {});  // keep iterations turning without traffic
  p.every(1ms, [] {});
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(p.watched(), 1u) << "only the poller's own wake-up eventfd is left";
}

TEST(Poller, interest_decides_which_events_arrive) {
  Poller p(test::options());
  SocketPair sp;
  std::vector<uint32_t> seen;
  struct H final : IoHandler {
    Poller* p;
    SocketPair* sp;
    std::vector<uint32_t>* seen;
    void on_io(uint32_t ev) override {
      seen->push_back(ev);
      if (seen->size() == 1) {
        char c;
        (void)!::read(sp->a, &c, 1);
        p->rewatch(sp->a, this, kWritable);  // an empty socketpair is always writable
      } else {
        p->stop();
      }
    }
  } h;
  h.p = &p;
  h.sp = &sp;
  h.seen = &seen;
  p.watch(sp.a, &h, kReadable);
  sp.send_byte_to_a();
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], uint32_t{kReadable}) << "writable, but kWritable was not asked for";
  EXPECT_EQ(seen[1], uint32_t{kWritable});
}

TEST(Poller, events_taken_before_a_rewatch_in_the_same_batch_are_masked_by_the_new_interest) {
  Poller p(test::options());
  SocketPair s1, s2;
  int calls1 = 0, calls2 = 0;
  uint32_t second_events = 0;
  // Both start writable. Whichever runs first drops kWritable from the other; the other's event,
  // already taken from the kernel, carries only EPOLLOUT and must not be delivered.
  struct H final : IoHandler {
    Poller* p;
    int* calls;
    int* other_calls;
    int other_fd;
    IoHandler* other;
    uint32_t* seen;
    void on_io(uint32_t ev) override {
      ++*calls;
      if (*other_calls == 0) p->rewatch(other_fd, other, kReadable);
      else *seen = ev;
    }
  } h1, h2;
  h1.p = h2.p = &p;
  h1.seen = h2.seen = &second_events;
  h1.calls = h2.other_calls = &calls1;
  h2.calls = h1.other_calls = &calls2;
  h1.other_fd = s2.a;
  h1.other = &h2;
  h2.other_fd = s1.a;
  h2.other = &h1;
  p.watch(s1.a, &h1, kReadable | kWritable);
  p.watch(s2.a, &h2, kReadable | kWritable);
  p.on_iteration_end([&] { p.stop(); });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(calls1 + calls2, 1) << "second handler got events=" << second_events;
}

TEST(Poller, watch_errors_name_the_fd_and_leave_state_unchanged) {
  Poller p(test::options());
  SocketPair sp;
  LambdaHandler h([](uint32_t) {});
  EXPECT_THROW(p.watch(-1, &h, kReadable), std::invalid_argument);
  EXPECT_THROW(p.watch(sp.a, nullptr, kReadable), std::invalid_argument);
  p.watch(sp.a, &h, kReadable);
  try {
    p.watch(sp.a, &h, kReadable);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST);
    EXPECT_NE(std::string(e.what()).find("fd=" + std::to_string(sp.a)), std::string::npos);
  }
  EXPECT_EQ(p.watched(), 2u);
  p.unwatch(sp.a);
  EXPECT_THROW(p.rewatch(sp.a, &h, kReadable), std::system_error);
  EXPECT_THROW(p.watch(123456, &h, kReadable), std::system_error) << "EBADF from epoll_ctl";
  p.unwatch(sp.a);     // twice: ignored
  p.unwatch(999999);   // never seen: ignored
  EXPECT_EQ(p.watched(), 1u);
}

TEST(Poller, watch_of_a_high_fd_number_grows_the_table) {
  Poller p(test::options());
  SocketPair sp;
  raise_fd_limit();  // the default soft limit (1024) is below fd 5000; the server raises it the same way
  int high = ::fcntl(sp.a, F_DUPFD_CLOEXEC, 5000);
  if (high < 0) GTEST_SKIP() << "hard RLIMIT_NOFILE too low for fd 5000";
  bool fired = false;
  LambdaHandler h([&](uint32_t) {
    fired = true;
    p.stop();
  });
  p.watch(high, &h, kReadable);
  sp.send_byte_to_a();
  EXPECT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_TRUE(fired);
  p.unwatch(high);
  ::close(high);
}

// ---- stop -----------------------------------------------------------------------------------

TEST(Poller, stop_from_another_thread_ends_run) {
  Poller p(test::options());
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    p.stop();
  });
  RunOutcome r = run_bounded(p, 10s);
  stopper.join();
  EXPECT_EQ(r, RunOutcome::Stopped);
  EXPECT_TRUE(p.stopping());
}

TEST(Poller, stop_before_run_is_sticky_and_run_returns_at_once) {
  Poller p(test::options());
  p.stop();
  int iterations = 0;
  p.on_iteration_end([&] { ++iterations; });
  p.run();
  EXPECT_EQ(iterations, 0);
}

Poller* g_signal_poller = nullptr;
extern "C" void stop_on_signal(int) { g_signal_poller->stop(); }

TEST(Poller, stop_from_a_signal_handler_ends_run_and_eintr_is_tolerated) {
  Poller p(test::options());
  g_signal_poller = &p;
  struct sigaction sa {}, old {};
  sa.sa_handler = stop_on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: epoll_wait sees EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  pthread_t loop_thread = ::pthread_self();
  std::thread sender([&] {
    std::this_thread::sleep_for(30ms);
    ::pthread_kill(loop_thread, SIGUSR1);
  });
  RunOutcome r = run_bounded(p, 10s);
  sender.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  g_signal_poller = nullptr;
  EXPECT_EQ(r, RunOutcome::Stopped);
}

// ---- timers ---------------------------------------------------------------------------------

TEST(Poller, after_timer_fires_within_a_bounded_wait_and_not_early) {
  Poller p(test::options());
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point fired_at{};
  p.after(20ms, [&] {
    fired_at = std::chrono::steady_clock::now();
    p.stop();
  });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_GE(fired_at - start, 20ms);
}

TEST(Poller, cancelled_timer_never_fires) {
  Poller p(test::options());
  bool fired = false;
  auto id = p.after(20ms, [&] { fired = true; });
  p.cancel(id);
  p.after(80ms, [&] { p.stop(); });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_FALSE(fired);
}

TEST(Poller, every_timer_repeats_until_cancelled) {
  Poller p(test::options());
  int count = 0;
  Poller::TimerId id = 0;
  id = p.every(5ms, [&] {
    if (++count == 3) {
      p.cancel(id);
      p.after(40ms, [&] { p.stop(); });  // time for a wrong 4th tick to show up
    }
  });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_EQ(count, 3);
}

TEST(Poller, timer_callback_may_cancel_a_timer_due_in_the_same_iteration) {
  Poller p(test::options());
  bool second_fired = false;
  Poller::TimerId second = 0;
  p.after(5ms, [&] { p.cancel(second); });
  second = p.after(5ms, [&] { second_fired = true; });
  p.after(50ms, [&] { p.stop(); });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_FALSE(second_fired);
}

// ---- hooks and buffer -----------------------------------------------------------------------

TEST(Poller, iteration_end_hooks_run_in_order_after_tasks_and_timers) {
  Poller p(test::options());
  std::vector<std::string> log;
  p.task([&] { log.push_back("task"); });
  p.after(0ms, [&] { log.push_back("timer"); });
  p.on_iteration_end([&] { log.push_back("hook1"); });
  p.on_iteration_end([&] {
    log.push_back("hook2");
    if (log.size() >= 4) p.stop();
  });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  // Task (phase 3) and timer (phase 5) may land in the same iteration or not; hooks come last.
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log[log.size() - 2], "hook1");
  EXPECT_EQ(log[log.size() - 1], "hook2");
  EXPECT_EQ(log[0], "task");
}

TEST(Poller, hook_registered_from_a_hook_runs_at_the_end_of_the_same_iteration) {
  Poller p(test::options());
  int late = 0;
  bool added = false;
  p.on_iteration_end([&] {
    if (!added) {
      added = true;
      p.on_iteration_end([&] {
        ++late;
        p.stop();
      });
    }
  });
  p.task([] {});  // one iteration with a zero timeout
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_EQ(late, 1);
}

TEST(Poller, recv_buffer_has_the_requested_size_and_never_moves) {
  Poller p(test::options(Poller::Options{.recv_buffer_bytes = 4096, .recv_headroom = 14, .recv_tailroom = 8}));
  std::span<uint8_t> a = p.recv_buffer();
  EXPECT_EQ(a.size(), 4096u);
  EXPECT_EQ(p.recv_headroom(), 14u);
  EXPECT_EQ(p.recv_tailroom(), 8u);
  // Headroom and tailroom are writable (ASan builds would flag an overrun here).
  a.data()[-14] = 1;
  a.data()[4096 + 7] = 2;
  EXPECT_EQ(p.recv_buffer().data(), a.data());
}

TEST(Poller, default_options_give_a_512k_buffer) {
  Poller p(test::options());
  EXPECT_EQ(p.recv_buffer().size(), 512u * 1024);
  EXPECT_EQ(p.recv_headroom(), 16u);
}

TEST(Poller, zero_sized_buffer_or_event_array_is_rejected) {
  EXPECT_THROW(Poller(Poller::Options{.recv_buffer_bytes = 0}), std::invalid_argument);
  EXPECT_THROW(Poller(Poller::Options{.max_events = 0}), std::invalid_argument);
}

// ---- allocation -----------------------------------------------------------------------------

TEST(Poller, dispatch_path_does_not_allocate_in_steady_state) {
  Poller p(test::options());
  SocketPair sp;
  int echoes = 0;
  // A ping-pong over one socketpair: every iteration is wait -> dispatch -> empty phases.
  LambdaHandler h([&](uint32_t) {
    std::span<uint8_t> buf = p.recv_buffer();
    ssize_t n = ::read(sp.a, buf.data(), buf.size());
    if (n <= 0) return;
    if (++echoes == 1000) {
      p.stop();
      return;
    }
    (void)!::write(sp.b, buf.data(), 1);  // makes a readable again for the next iteration
  });
  p.watch(sp.a, &h, kReadable);
  p.on_iteration_end([] {});
  auto guard = p.after(10s, [&] { p.stop(); });  // allocated before counting starts
  sp.send_byte_to_a();
  size_t allocations;
  {
    malloccount::AllocScope scope;  // this thread's malloc and new, every route
    p.run();
    allocations = scope.allocations();
  }
  p.cancel(guard);
  EXPECT_EQ(echoes, 1000);
  EXPECT_EQ(allocations, 0u) << "per-event path allocated";
}

}  // namespace
}  // namespace wsalloc::net
