#include "bench/text_trim.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(TextTrim, removes_blanks_around_but_not_inside) {
  EXPECT_EQ(trim("  4f8cdc2 dirty\r\n"), "4f8cdc2 dirty");
  EXPECT_EQ(trim("\tx"), "x");
  EXPECT_EQ(trim("x"), "x");
}

TEST(TextTrim, an_all_blank_or_empty_text_becomes_empty) {
  EXPECT_EQ(trim(" \n\t\r "), "");
  EXPECT_EQ(trim(""), "");
}

}  // namespace
}  // namespace wsalloc::bench
