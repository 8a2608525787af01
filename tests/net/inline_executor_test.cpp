#include "net/inline_executor.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "net/poller.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using test::run_bounded;
using test::RunOutcome;

TEST(InlineExecutor, explicit_inline_and_default_tasks_share_one_posting_order) {
  Poller p(test::options());
  InlineExecutor inl;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i)
    p.task([&order, i] { order.push_back(i); }, {}, i % 2 == 0 ? &inl : nullptr);
  p.on_iteration_end([&] { p.stop(); });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(InlineExecutor, one_instance_serves_two_pollers_each_on_its_own_queue) {
  Poller p1, p2;
  InlineExecutor inl;
  int on1 = 0, on2 = 0;
  p1.task([&] { ++on1; }, [&] { p1.stop(); }, &inl);
  p2.task([&] { ++on2; }, [&] { p2.stop(); }, &inl);
  EXPECT_EQ(p1.pending_tasks(), 1u);
  EXPECT_EQ(p2.pending_tasks(), 1u);
  ASSERT_EQ(run_bounded(p1), RunOutcome::Stopped);
  EXPECT_EQ(on1, 1);
  EXPECT_EQ(on2, 0);
  ASSERT_EQ(run_bounded(p2), RunOutcome::Stopped);
  EXPECT_EQ(on2, 1);
}

TEST(InlineExecutor, work_and_done_run_on_the_poller_thread) {
  Poller p(test::options());
  InlineExecutor inl;
  std::thread::id loop = std::this_thread::get_id(), w, d;
  p.task([&] { w = std::this_thread::get_id(); },
         [&] {
           d = std::this_thread::get_id();
           p.stop();
         },
         &inl);
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_EQ(w, loop);
  EXPECT_EQ(d, loop);
}

}  // namespace
}  // namespace wsalloc::net
