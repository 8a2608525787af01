// Linked into every test executable that needs io_uring (net_uring_tests): where io_uring cannot
// run, every test is skipped with the reason; where it must run (uring_required.hpp), they fail.
#include <gtest/gtest.h>

#include "net/io_backend.hpp"
#include "uring_required.hpp"

namespace {

class UringEnvironment final : public ::testing::Environment {
 public:
  void SetUp() override {
    const wsalloc::net::UringSupport& u = wsalloc::net::probe_uring();
    if (u.available) return;
    if (wsalloc::test::uring_required()) {
      FAIL() << "io_uring is unavailable (" << u.reason << ") but " << wsalloc::test::kUringRequiredWhy;
    }
    GTEST_SKIP() << "io_uring unavailable: " << u.reason;
  }
};

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new UringEnvironment);

}  // namespace
