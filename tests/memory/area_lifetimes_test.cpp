#include "memory/area_lifetimes.hpp"

#include <gtest/gtest.h>

#include <memory_resource>
#include <type_traits>
#include <vector>

#include "counting_resource.hpp"

namespace wsalloc::memory {
namespace {

static_assert(!std::is_same_v<LoopArea, MessageArea>, "each lifetime is its own type");
static_assert(!std::is_convertible_v<LoopArea&, MessageArea&>,
              "a LoopArea cannot be passed where a MessageArea is expected");
static_assert(!std::is_convertible_v<TempArea&, ConnectionArea&>);
static_assert(std::is_convertible_v<MessageArea&, Area&>, "code that takes any area still can");
static_assert(std::is_convertible_v<MessageArea*, std::pmr::memory_resource*>);

TEST(AreaLifetimes, each_lifetime_has_its_name_and_default_block_size) {
  LoopArea loop;
  MessageArea message;
  ConnectionArea connection;
  TempArea temp;
  EXPECT_EQ(loop.name(), "loop");
  EXPECT_EQ(message.name(), "message");
  EXPECT_EQ(connection.name(), "connection");
  EXPECT_EQ(temp.name(), "temp");
  EXPECT_EQ(loop.block_bytes(), kLoopAreaBytes);
  EXPECT_EQ(message.block_bytes(), kMessageAreaBytes);
  EXPECT_EQ(connection.block_bytes(), kConnectionAreaBytes);
  EXPECT_EQ(temp.block_bytes(), kTempAreaBytes);
  EXPECT_EQ(loop.max_blocks(), kAreaMaxBlocks);
  EXPECT_EQ(MessageArea::kLifetime, AreaLifetime::Message);
}

TEST(AreaLifetimes, sizes_and_upstream_can_be_chosen) {
  test::CountingResource up;
  MessageArea message(4096, 2, &up);
  EXPECT_EQ(message.block_bytes(), 4096u);
  EXPECT_EQ(message.max_blocks(), 2u);
  std::pmr::vector<char> bytes(100, 'x', &message);
  EXPECT_EQ(up.allocations, 1u);
  EXPECT_EQ(message.upstream(), &up);
}

TEST(AreaLifetimes, idle_area_holds_no_block) {
  ConnectionArea connection;
  EXPECT_EQ(connection.blocks(), 0u) << "10,000 idle connections must not cost 10,000 blocks";
}

}  // namespace
}  // namespace wsalloc::memory
