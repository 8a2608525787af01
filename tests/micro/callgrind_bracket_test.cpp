#include "micro/callgrind_bracket.hpp"

#include <gtest/gtest.h>

namespace wsalloc::micro {
namespace {

// Natively the requests are no-ops: the code inside both kinds of section runs, once, normally.
// (Under callgrind, instr_driver_test checks what they count.)
TEST(CallgrindBracket, sections_are_transparent_outside_valgrind) {
  if (RUNNING_ON_VALGRIND) GTEST_SKIP() << "this test is about native runs";
  int ran = 0;
  {
    CountedRegion region;
    ++ran;
    {
      UncountedSection harness_only;
      ++ran;
    }
  }
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace wsalloc::micro
