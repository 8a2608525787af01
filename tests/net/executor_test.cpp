#include "net/executor.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "net/poller.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using test::run_bounded;
using test::RunOutcome;

// The smallest honest Executor a user could write: a fresh thread per task, `done` handed back
// through post_completion, as executor.hpp asks.
class ThreadPerTask final : public Executor {
 public:
  ~ThreadPerTask() override {
    for (auto& t : threads_) t.join();
  }
  void execute(Poller& origin, std::function<void()> work, std::function<void()> done) override {
    threads_.emplace_back([&origin, work = std::move(work), done = std::move(done)] {
      work();
      if (done) origin.post_completion(done);
    });
  }

 private:
  std::vector<std::thread> threads_;
};

TEST(Executor, custom_executor_runs_work_elsewhere_and_done_on_the_poller_thread) {
  Poller p(test::options());
  ThreadPerTask ex;
  std::thread::id loop = std::this_thread::get_id(), work_thread, done_thread;
  p.task([&] { work_thread = std::this_thread::get_id(); },
         [&] {
           done_thread = std::this_thread::get_id();
           p.stop();
         },
         &ex);
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_NE(work_thread, loop);
  EXPECT_EQ(done_thread, loop);
}

TEST(Executor, default_executor_is_used_when_none_is_given_and_nullptr_restores_inline) {
  Poller p(test::options());
  ThreadPerTask ex;
  p.set_default_executor(&ex);
  std::thread::id loop = std::this_thread::get_id(), via_default, via_inline;
  p.task([&] { via_default = std::this_thread::get_id(); },
         [&] {
           p.set_default_executor(nullptr);
           p.task([&] {
             via_inline = std::this_thread::get_id();
             p.stop();
           });
         });
  ASSERT_EQ(run_bounded(p), RunOutcome::Stopped);
  EXPECT_NE(via_default, loop);
  EXPECT_EQ(via_inline, loop);
}

}  // namespace
}  // namespace wsalloc::net
