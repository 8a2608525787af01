#include "load/connection.hpp"

#include <gtest/gtest.h>

namespace wsalloc::load {
namespace {

TEST(Connection, a_new_connection_has_no_socket_and_nothing_in_flight) {
  const PayloadCatalogue cat({32}, {}, PayloadKind::Binary);
  Conn c(nullptr, 7, 0, ConnRole::Echo, cat, 0);
  EXPECT_EQ(c.fd, -1);
  EXPECT_EQ(c.state, ConnState::NotStarted);
  EXPECT_TRUE(c.queue.empty());
  EXPECT_EQ(c.parser.state(), core::ParserState::Open);
  EXPECT_EQ(c.id, 7u);
}

}  // namespace
}  // namespace wsalloc::load
