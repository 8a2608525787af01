#include "net/completion_inbox.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace wsalloc::net {
namespace {

uint64_t read_counter(int efd) {
  uint64_t v = 0;
  if (::read(efd, &v, sizeof v) != sizeof v) return 0;  // EAGAIN: counter is 0
  return v;
}

TEST(CompletionInbox, take_returns_items_in_posting_order) {
  CompletionInbox in;
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) in.post([&order, i] { order.push_back(i); });
  std::vector<std::function<void()>> out;
  in.take(out);
  ASSERT_EQ(out.size(), 5u);
  for (auto& f : out) f();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(CompletionInbox, wakes_only_on_the_empty_to_nonempty_edge) {
  CompletionInbox in;
  in.post([] {});
  in.post([] {});
  in.post([] {});
  EXPECT_EQ(read_counter(in.event_fd()), 1u);
  std::vector<std::function<void()>> out;
  in.take(out);
  out.clear();
  in.post([] {});
  EXPECT_EQ(read_counter(in.event_fd()), 1u) << "a post after take() must wake again";
}

TEST(CompletionInbox, close_destroys_pending_and_later_posts_unrun) {
  CompletionInbox in;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  in.post([token, &ran] { ran = true; });
  EXPECT_EQ(token.use_count(), 2);
  in.close();
  EXPECT_EQ(token.use_count(), 1);
  in.post([token, &ran] { ran = true; });
  EXPECT_EQ(token.use_count(), 1);
  std::vector<std::function<void()>> out;
  in.take(out);
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(ran);
}

TEST(CompletionInbox, wake_keeps_errno) {
  CompletionInbox in;
  errno = ENOSPC;
  in.wake();
  EXPECT_EQ(errno, ENOSPC);
}

}  // namespace
}  // namespace wsalloc::net
