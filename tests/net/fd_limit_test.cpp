#include "net/fd_limit.hpp"

#include <gtest/gtest.h>

namespace wsalloc::net {
namespace {

TEST(FdLimit, raise_fd_limit_takes_the_hard_limit) {
  rlimit original{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max < 2) GTEST_SKIP() << "hard RLIMIT_NOFILE " << original.rlim_max << " leaves nothing to raise";
  // Lower the soft limit below the hard one, so there is something to raise.
  rlimit lowered = original;
  lowered.rlim_cur = original.rlim_max > 256 ? 256 : original.rlim_max - 1;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);

  const rlim_t now = raise_fd_limit();
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, original.rlim_max);
  EXPECT_EQ(now, original.rlim_max);
  EXPECT_EQ(raise_fd_limit(), original.rlim_max);  // already at the hard limit: unchanged

  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
}

}  // namespace
}  // namespace wsalloc::net
