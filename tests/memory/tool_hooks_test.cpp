#include "memory/tool_hooks.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace wsalloc::memory {
namespace {

TEST(ToolHooks, debug_fill_writes_0xDD_only_in_debug_builds) {
  unsigned char buf[32];
  std::memset(buf, 0x11, sizeof buf);
  hooks::debug_fill(buf, 16);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(buf[i], hooks::kDebugChecks ? hooks::kPoisonByte : 0x11) << i;
  }
  for (int i = 16; i < 32; ++i) EXPECT_EQ(buf[i], 0x11) << "beyond the range: untouched";
}

TEST(ToolHooks, heaptrack_hooks_are_harmless_without_heaptrack) {
  int x = 0;
  hooks::heaptrack_alloc(&x, sizeof x);
  hooks::heaptrack_free(&x);
  SUCCEED();
}

#if WSALLOC_ASAN
TEST(ToolHooks, asan_poison_and_unpoison_flip_addressability) {
  alignas(16) static char buf[64];
  hooks::asan_poison(buf, sizeof buf);
  EXPECT_TRUE(__asan_address_is_poisoned(buf + 8));
  hooks::asan_unpoison(buf, sizeof buf);
  EXPECT_FALSE(__asan_address_is_poisoned(buf + 8));
}
#endif

TEST(ToolHooksDeathTest, fail_names_the_problem_and_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(hooks::fail("frame 70000 B > max_frame 65536"),
               "wsalloc memory: frame 70000 B > max_frame 65536");
}

}  // namespace
}  // namespace wsalloc::memory
