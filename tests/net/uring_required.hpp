#pragma once
// Whether io_uring tests may be skipped here. Where io_uring is missing they skip (with the
// reason), except when the environment says this machine must run them:
//   WSALLOC_REQUIRE_URING=1   must (.ci/run sets it: CI's machine has io_uring)
//   WSALLOC_REQUIRE_URING=0   may skip, even under CI
//   unset                     must when CI is set (to anything but "", "0" or "false")
// tests/uring_gate.py applies the same rule to the suites that drive the server binary.
#include <cstdlib>
#include <string_view>

namespace wsalloc::test {

inline constexpr const char* kUringRequiredWhy =
    "this machine must run the io_uring tests (WSALLOC_REQUIRE_URING=1, or CI set)";

inline bool uring_required() {
  if (const char* r = std::getenv("WSALLOC_REQUIRE_URING")) return std::string_view(r) == "1";
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  const std::string_view v(ci);
  return !v.empty() && v != "0" && v != "false";
}

}  // namespace wsalloc::test
