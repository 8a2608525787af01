#include "net/idle_pages.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <vector>

namespace wsalloc::net {
namespace {

using namespace std::chrono_literals;

// Pages of [p, p+n) the kernel holds for us right now.
size_t resident_pages(const uint8_t* p, size_t n) {
  std::vector<unsigned char> v(n / 4096);
  if (::mincore(const_cast<uint8_t*>(p), n, v.data()) != 0) return SIZE_MAX;
  size_t r = 0;
  for (unsigned char c : v) r += c & 1;
  return r;
}

TEST(IdlePages, an_idle_block_gives_its_pages_back_and_stays_usable) {
  IdlePages b(64 * 1024);
  std::memset(b.data(), 0x5a, b.size());
  EXPECT_EQ(resident_pages(b.data(), b.size()), 16u);
  b.trim_if_idle(IdlePages::Clock::now() + 2s, 1s);
  EXPECT_FALSE(b.resident());
  EXPECT_EQ(resident_pages(b.data(), b.size()), 0u);
  b.touch();
  b.data()[0] = 1;  // usable again: one page faults back in, nothing is allocated
  EXPECT_EQ(resident_pages(b.data(), b.size()), 1u);
}

TEST(IdlePages, a_block_used_recently_keeps_its_pages) {
  IdlePages b(8192);
  std::memset(b.data(), 1, b.size());
  b.touch();
  b.trim_if_idle(IdlePages::Clock::now(), 1s);
  EXPECT_TRUE(b.resident());
  EXPECT_EQ(resident_pages(b.data(), b.size()), 2u);
}

}  // namespace
}  // namespace wsalloc::net
