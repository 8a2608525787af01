#include "load/write_buffer.hpp"

#include <gtest/gtest.h>

namespace wsalloc::load {
namespace {

TEST(WriteBuffer, reserve_fails_when_the_bytes_do_not_fit) {
  WriteBuffer b(16);
  ASSERT_NE(b.reserve(16), nullptr);
  b.commit(10);
  EXPECT_EQ(b.reserve(7), nullptr);
  EXPECT_NE(b.reserve(6), nullptr);
}

TEST(WriteBuffer, partial_send_is_compacted_on_demand) {
  WriteBuffer b(16);
  std::memcpy(b.reserve(12), "abcdefghijkl", 12);
  b.commit(12);
  b.consume(8);  // a short send
  EXPECT_EQ(b.unsent_bytes(), 4u);
  uint8_t* p = b.reserve(12);  // fits only after moving "ijkl" to the front
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.unsent().data()), 4), "ijkl");
}

TEST(WriteBuffer, a_full_send_resets_to_the_start) {
  WriteBuffer b(8);
  b.reserve(8);
  b.commit(8);
  b.consume(8);
  EXPECT_TRUE(b.empty());
  EXPECT_NE(b.reserve(8), nullptr);
}

}  // namespace
}  // namespace wsalloc::load
