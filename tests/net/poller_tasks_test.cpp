// Poller::task with the default (inline) executor: ordering relative to the event batch,
// posting order, no recursion. Pool executors are in thread_pool_executor_test.cpp.
#include "net/poller.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;
using test::LambdaHandler;
using test::run_bounded;
using test::RunOutcome;
using test::SocketPair;

TEST(PollerTasks, inline_tasks_run_after_the_whole_event_batch) {
  Poller p(test::options());
  SocketPair s1, s2;
  std::vector<std::string> log;
  auto on_ready = [&](int fd) {
    char c;
    (void)!::read(fd, &c, 1);
    log.push_back("io");
    p.task([&] { log.push_back("task"); });
  };
  LambdaHandler h1([&](uint32_t) { on_ready(s1.a); });
  LambdaHandler h2([&](uint32_t) { on_ready(s2.a); });
  p.watch(s1.a, &h1, kReadable);
  p.watch(s2.a, &h2, kReadable);
  s1.send_byte_to_a();
  s2.send_byte_to_a();
  p.on_iteration_end([&] { p.stop(); });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(log, (std::vector<std::string>{"io", "io", "task", "task"}));
}

TEST(PollerTasks, thousand_inline_tasks_run_once_each_in_posting_order_on_the_poller_thread) {
  Poller p(test::options());
  std::vector<int> work_order, done_order;
  bool all_on_loop_thread = true;
  std::thread::id loop_thread;
  for (int i = 0; i < 1000; ++i) {
    p.task(
        [&, i] {
          work_order.push_back(i);
          all_on_loop_thread &= std::this_thread::get_id() == loop_thread;
        },
        [&, i] {
          done_order.push_back(i);
          all_on_loop_thread &= std::this_thread::get_id() == loop_thread;
        });
  }
  p.on_iteration_end([&] { p.stop(); });
  loop_thread = std::this_thread::get_id();
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  ASSERT_EQ(work_order.size(), 1000u);
  ASSERT_EQ(done_order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(work_order[i], i);
    EXPECT_EQ(done_order[i], i);
  }
  EXPECT_TRUE(all_on_loop_thread);
}

TEST(PollerTasks, done_runs_right_after_its_own_work) {
  Poller p(test::options());
  std::vector<std::string> log;
  p.task([&] { log.push_back("w1"); }, [&] { log.push_back("d1"); });
  p.task([&] { log.push_back("w2"); }, [&] { log.push_back("d2"); });
  p.on_iteration_end([&] { p.stop(); });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(log, (std::vector<std::string>{"w1", "d1", "w2", "d2"}));
}

TEST(PollerTasks, task_posted_from_a_task_runs_later_never_recursively) {
  Poller p(test::options());
  bool inside_outer = false, inner_ran_inside_outer = false;
  int inner_runs = 0;
  p.task([&] {
    inside_outer = true;
    p.task([&] {
      ++inner_runs;
      inner_ran_inside_outer = inside_outer;
      p.stop();
    });
    inside_outer = false;
  });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped) << "a task posted by a task must not wait for I/O";
  EXPECT_EQ(inner_runs, 1);
  EXPECT_FALSE(inner_ran_inside_outer);
}

TEST(PollerTasks, self_reposting_task_does_not_starve_timers_or_hooks) {
  Poller p(test::options());
  int reposts = 0;
  std::function<void()> again = [&] {
    ++reposts;
    if (!p.stopping()) p.task(again);
  };
  p.task(again);
  bool timer_fired = false;
  p.after(5ms, [&] {
    timer_fired = true;
    p.stop();
  });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_TRUE(timer_fired);
  EXPECT_GE(reposts, 1);
}

TEST(PollerTasks, empty_work_is_rejected) {
  Poller p(test::options());
  EXPECT_THROW(p.task({}), std::invalid_argument);
  EXPECT_EQ(p.pending_tasks(), 0u);
}

TEST(PollerTasks, throwing_task_leaves_run_and_the_rest_of_its_batch_is_dropped_not_rerun) {
  Poller p(test::options());
  int ran = 0;
  p.task([&] { ++ran; });
  p.task([] { throw std::runtime_error("boom"); });
  p.task([&] { ++ran; });
  EXPECT_THROW(p.run(), std::runtime_error);
  EXPECT_EQ(ran, 1);
  // Usable afterwards; nothing from the failed batch runs twice.
  p.task([&] { p.stop(); });
  ASSERT_EQ(run_bounded(p, 2s), RunOutcome::Stopped);
  EXPECT_EQ(ran, 1);
}

TEST(PollerTasks, pending_inline_tasks_are_destroyed_unrun_with_the_poller) {
  auto token = std::make_shared<int>(0);
  bool ran = false;
  {
    Poller p(test::options());
    p.task([token, &ran] { ran = true; }, [token] {});
    EXPECT_EQ(token.use_count(), 3);
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace wsalloc::net
