#include "net/io_backend.hpp"

#include <gtest/gtest.h>

namespace wsalloc::net {
namespace {

TEST(IoBackend, names_round_trip_and_unknown_names_are_refused) {
  for (IoBackend b : {IoBackend::Epoll, IoBackend::Uring}) EXPECT_EQ(parse_io_backend(to_string(b)), b);
  EXPECT_FALSE(parse_io_backend("io_uring"));
  EXPECT_FALSE(parse_io_backend(""));
}

TEST(IoBackend, the_probe_answers_once_and_explains_a_refusal) {
  const UringSupport& a = probe_uring();
  const UringSupport& b = probe_uring();
  EXPECT_EQ(&a, &b);
  if (a.available) {
    EXPECT_TRUE(a.reason.empty());
  } else {
    EXPECT_FALSE(a.reason.empty()) << "unavailable without a reason";
  }
}

}  // namespace
}  // namespace wsalloc::net
