#include "net/io_handler.hpp"

#include <gtest/gtest.h>

#include <type_traits>

namespace wsalloc::net {
namespace {

static_assert((kReadable & kWritable) == 0 && (kHangup & kError) == 0 &&
                  ((kReadable | kWritable) & (kHangup | kError)) == 0,
              "event bits are combined with |, so they must not overlap");
static_assert(!std::is_destructible_v<IoHandler>,
              "the Poller never owns handlers, so deleting through IoHandler* must not compile");

struct Recorder final : IoHandler {
  uint32_t seen = 0;
  void on_io(uint32_t events) override { seen |= events; }
};

TEST(IoHandler, handler_receives_events_through_base_pointer) {
  Recorder r;
  IoHandler* h = &r;
  h->on_io(kReadable | kHangup);
  EXPECT_EQ(r.seen, uint32_t{kReadable | kHangup});
}

}  // namespace
}  // namespace wsalloc::net
