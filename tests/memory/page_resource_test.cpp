#include "memory/page_resource.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "memory/area.hpp"
#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

const std::size_t kPage = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));

// mincore() fails with ENOMEM on an address range that is not mapped: how the test tells that
// deallocate gave the pages back to the kernel rather than to a free list.
bool is_mapped(void* p, std::size_t bytes) {
  std::vector<unsigned char> residency((bytes + kPage - 1) / kPage);
  return ::mincore(p, bytes, residency.data()) == 0;
}

TEST(PageResource, SmallRequestsGoUpstream) {
  test::CountingResource upstream;
  PageResource pages(64 * 1024, &upstream);
  void* p = pages.allocate(64 * 1024 - 1, 16);
  EXPECT_EQ(upstream.allocations, 1u);
  pages.deallocate(p, 64 * 1024 - 1, 16);
  EXPECT_EQ(upstream.deallocations, 1u);
  EXPECT_EQ(pages.stats().maps, 0u);
  EXPECT_EQ(pages.stats().unmaps, 0u);
}

TEST(PageResource, LargeRequestsAreMappedAndUnmapped) {
  test::CountingResource upstream;
  PageResource pages(64 * 1024, &upstream);
  const std::size_t bytes = 64 * 1024 + 1;  // rounds up to whole pages
  void* p = pages.allocate(bytes, 64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % kPage, 0u);
  std::memset(p, 0xAB, bytes);  // writable to its last byte
  EXPECT_EQ(upstream.allocations, 0u);
  EXPECT_EQ(pages.stats().maps, 1u);
  EXPECT_EQ(pages.stats().mapped_bytes, (bytes + kPage - 1) / kPage * kPage);
  EXPECT_TRUE(is_mapped(p, bytes));

  pages.deallocate(p, bytes, 64);
  EXPECT_EQ(pages.stats().unmaps, 1u);
  EXPECT_EQ(pages.stats().mapped_bytes, 0u);
  EXPECT_FALSE(is_mapped(p, bytes)) << "the pages should have left the process";
}

TEST(PageResource, AlignmentAboveAPageGoesUpstream) {
  test::CountingResource upstream;
  PageResource pages(64 * 1024, &upstream);
  void* p = pages.allocate(256 * 1024, 2 * kPage);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % (2 * kPage), 0u);
  EXPECT_EQ(upstream.allocations, 1u);
  EXPECT_EQ(pages.stats().maps, 0u);
  pages.deallocate(p, 256 * 1024, 2 * kPage);
  EXPECT_EQ(upstream.deallocations, 1u);
}

TEST(PageResource, ImpossibleRequestThrowsBadAllocAndChangesNothing) {
  PageResource pages;
  EXPECT_THROW((void)pages.allocate(SIZE_MAX - 16, 16), std::bad_alloc);
  EXPECT_EQ(pages.stats().maps, 0u);
  EXPECT_EQ(pages.stats().mapped_bytes, 0u);
}

// The arena variant's use: an Area whose blocks are above the threshold maps one per block and
// unmaps them all when it goes away; its overflows are mapped too and unmapped on reset.
TEST(PageResource, BacksAnAreaBlocksAndOverflows) {
  PageResource pages(kPageMapThreshold);
  {
    Area area("test", 256 * 1024, 1, &pages);
    (void)area.allocate(1000, 8);             // first block: mapped
    (void)area.allocate(512 * 1024, 8);       // bigger than a block: an overflow, mapped
    EXPECT_EQ(pages.stats().maps, 2u);
    area.reset();
    EXPECT_EQ(pages.stats().unmaps, 1u);      // the overflow; the first block stays
  }
  EXPECT_EQ(pages.stats().unmaps, 2u);
  EXPECT_EQ(pages.stats().mapped_bytes, 0u);
}

}  // namespace
}  // namespace wsalloc::memory
