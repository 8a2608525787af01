#include "micro/opaque.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace wsalloc::micro {
namespace {

// The barrier must not change the pointer, only the compiler's knowledge of it.
TEST(Opaque, launder_pointer_keeps_the_value_and_the_pointee) {
  uint8_t bytes[4] = {1, 2, 3, 4};
  const uint8_t* p = bytes;
  uint32_t sum = 0;
  for (int i = 0; i < 3; ++i) {
    launder_pointer(p);
    sum += p[3];
  }
  EXPECT_EQ(p, bytes);
  EXPECT_EQ(sum, 12u);
}

}  // namespace
}  // namespace wsalloc::micro
