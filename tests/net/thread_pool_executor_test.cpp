#include "net/thread_pool_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/poller.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;
using test::run_bounded;
using test::RunOutcome;

// Counts live copies of an object captured by tasks: run or not, every copy must be destroyed,
// so the count returns to 1 (the original) when nothing leaked.
struct Tracked {
  std::atomic<int>* live;
  explicit Tracked(std::atomic<int>* l) : live(l) { ++*live; }
  Tracked(const Tracked& o) : live(o.live) { ++*live; }
  ~Tracked() { --*live; }
};

// Waits (bounded) until pred() holds; returns whether it did.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A gate a pool task can block on, with a bounded wait so a failing test cannot hang.
struct Gate {
  std::promise<void> open_p;
  std::shared_future<void> opened = open_p.get_future().share();
  std::atomic<bool> entered{false};
  void block() {
    entered = true;
    opened.wait_for(10s);
  }
  void open() { open_p.set_value(); }
};

TEST(ThreadPoolExecutor, thousand_tasks_each_done_runs_exactly_once_on_the_poller_thread) {
  Poller p(test::options());
  ThreadPoolExecutor pool(4);
  constexpr int kTasks = 1000;
  std::vector<int> done_count(kTasks, 0);  // touched only on the poller thread
  std::atomic<int> work_off_loop{0};
  int done_total = 0, done_off_loop = 0;
  const std::thread::id loop = std::this_thread::get_id();
  for (int i = 0; i < kTasks; ++i) {
    p.task([&, i] { work_off_loop += std::this_thread::get_id() != loop; },
           [&, i] {
             ++done_count[i];
             done_off_loop += std::this_thread::get_id() != loop;
             if (++done_total == kTasks) p.stop();
           },
           &pool);
  }
  ASSERT_EQ(run_bounded(p, 20s), RunOutcome::Stopped);
  EXPECT_EQ(work_off_loop.load(), kTasks);
  EXPECT_EQ(done_off_loop, 0);
  for (int i = 0; i < kTasks; ++i) ASSERT_EQ(done_count[i], 1) << "task " << i;
}

TEST(ThreadPoolExecutor, done_sees_the_result_of_its_work) {
  Poller p(test::options());
  ThreadPoolExecutor pool(2);
  auto result = std::make_shared<int>(0);
  int seen = -1;
  p.task([result] { *result = 42; },
         [&, result] {
           seen = *result;
           p.stop();
         },
         &pool);
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(seen, 42);
}

TEST(ThreadPoolExecutor, one_thread_pool_completes_in_posting_order) {
  Poller p(test::options());
  ThreadPoolExecutor pool(1);
  std::vector<int> order;
  for (int i = 0; i < 200; ++i)
    p.task([] {},
           [&, i] {
             order.push_back(i);
             if (order.size() == 200) p.stop();
           },
           &pool);
  ASSERT_EQ(run_bounded(p, 10s), RunOutcome::Stopped);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(order[i], i);
}

TEST(ThreadPoolExecutor, task_without_done_posts_nothing_back) {
  Poller p(test::options());
  ThreadPoolExecutor pool(1);
  std::atomic<bool> ran{false};
  p.task([&] { ran = true; }, {}, &pool);
  ASSERT_TRUE(eventually([&] { return ran.load(); }));
  pool.shutdown();
  int completions_run = 0;
  p.post_completion([&] { ++completions_run; p.stop(); });  // the only one in the inbox
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(completions_run, 1);
}

TEST(ThreadPoolExecutor, shutdown_destroys_queued_tasks_without_running_them) {
  Poller p(test::options());
  ThreadPoolExecutor pool(1);
  Gate gate;
  std::atomic<int> live{0}, ran{0}, blocker_finished{0};
  p.task([&] { gate.block(); ++blocker_finished; }, {}, &pool);
  ASSERT_TRUE(eventually([&] { return gate.entered.load(); }));
  Tracked tracked(&live);
  for (int i = 0; i < 100; ++i) p.task([&, tracked] { ++ran; }, [&, tracked] { ++ran; }, &pool);
  EXPECT_EQ(pool.queued(), 100u);
  EXPECT_EQ(live.load(), 201);

  std::thread shutter([&] { pool.shutdown(); });  // blocks until the running task ends
  // The queue is destroyed before shutdown() waits for the running task.
  EXPECT_TRUE(eventually([&] { return live.load() == 1; })) << "live copies: " << live.load();
  EXPECT_EQ(blocker_finished.load(), 0);
  gate.open();
  shutter.join();
  EXPECT_EQ(blocker_finished.load(), 1) << "shutdown waits for the running task";
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(ThreadPoolExecutor, execute_after_shutdown_throws_and_shutdown_is_idempotent) {
  Poller p(test::options());
  ThreadPoolExecutor pool(2);
  pool.shutdown();
  pool.shutdown();
  EXPECT_THROW(p.task([] {}, {}, &pool), std::logic_error);
}

TEST(ThreadPoolExecutor, zero_threads_is_rejected) {
  EXPECT_THROW(ThreadPoolExecutor(0), std::invalid_argument);
}

TEST(ThreadPoolExecutor, destructor_with_tasks_queued_neither_deadlocks_nor_leaks) {
  std::atomic<int> live{0}, ran{0};
  Tracked tracked(&live);
  {
    std::optional<Poller> p(std::in_place);
    {
      ThreadPoolExecutor pool(2);
      for (int i = 0; i < 500; ++i)
        p->task([tracked, &ran] { ++ran; std::this_thread::sleep_for(std::chrono::microseconds(50)); },
                [tracked] {}, &pool);
    }  // destructor: shutdown mid-stream, returns once the running tasks are done
    EXPECT_LE(ran.load(), 500);
    // What is left: one done per finished task, waiting in the never-run poller's inbox.
    EXPECT_EQ(live.load() - 1, ran.load());
    p.reset();
  }
  EXPECT_EQ(live.load(), 1) << "pending completions destroyed with the poller";
}

TEST(ThreadPoolExecutor, poller_stopped_with_completions_pending_drops_them_cleanly) {
  std::atomic<int> live{0};
  std::atomic<int> done_ran{0};
  Tracked tracked(&live);
  {
    Poller p(test::options());
    ThreadPoolExecutor pool(2);
    for (int i = 0; i < 300; ++i)
      p.task([] {}, [&, tracked] {
        if (++done_ran == 1) p.stop();  // stop with the rest still in flight or in the inbox
      }, &pool);
    ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
    pool.shutdown();  // every started task has posted its done by now
    EXPECT_GE(done_ran.load(), 1);
    EXPECT_LE(done_ran.load(), 300);
  }  // pool joined, then the poller destroyed with completions pending
  EXPECT_EQ(live.load(), 1) << "every done, run or not, was destroyed exactly once";
}

TEST(ThreadPoolExecutor, task_finishing_after_its_poller_is_gone_drops_done_safely) {
  auto token = std::make_shared<int>(0);
  bool done_ran = false;
  ThreadPoolExecutor pool(1);
  Gate gate;
  {
    Poller p(test::options());
    p.task([&] { gate.block(); }, [token, &done_ran] { done_ran = true; }, &pool);
    ASSERT_TRUE(eventually([&] { return gate.entered.load(); }));
  }  // poller destroyed while its task is still running
  gate.open();
  pool.shutdown();  // the task finishes and posts into the closed inbox
  EXPECT_FALSE(done_ran);
  EXPECT_EQ(token.use_count(), 1) << "the dropped done was destroyed, not leaked";
}

TEST(ThreadPoolExecutor, default_executor_routes_plain_tasks_to_the_pool) {
  Poller p(test::options());
  ThreadPoolExecutor pool(2);
  p.set_default_executor(&pool);
  std::thread::id loop = std::this_thread::get_id(), w, d;
  p.task([&] { w = std::this_thread::get_id(); },
         [&] {
           d = std::this_thread::get_id();
           p.stop();
         });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_NE(w, loop);
  EXPECT_EQ(d, loop);
  p.set_default_executor(nullptr);
}

}  // namespace
}  // namespace wsalloc::net
