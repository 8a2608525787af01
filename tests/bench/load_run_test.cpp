// The load runners' window markers (load_run.hpp, held_load.hpp): measure.cpp samples the server
// when take_markers() returns a marker, so a marker must come out of the wait() that saw it.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/held_load.hpp"
#include "bench/load_run.hpp"

namespace wsalloc::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A stand-in for wsload: "window start" after 0.1 s, then nothing for 3 s. The waits are 1 s long,
// so a marker left for the next wait() comes out about 1.1 s after the start.
const char* kScript = "sleep 0.1; echo 'wsload: window start' >&2; sleep 3; echo 'wsload: window end' >&2; sleep 0.2";

// Seconds from now until take_markers() returns the start marker, waiting as measure.cpp does.
std::optional<double> start_seen_after(LoadRun& load) {
  const auto t0 = Clock::now();
  for (int i = 0; i < 6; ++i) {
    const bool over = load.wait(std::chrono::milliseconds(1000));
    for (WindowMarker m : load.take_markers())
      if (m == WindowMarker::Start) return std::chrono::duration<double>(Clock::now() - t0).count();
    if (over) break;
  }
  return std::nullopt;
}

TEST(LoadRun, a_local_wsloads_marker_comes_out_of_the_wait_that_saw_it) {
  const std::string out = testing::TempDir() + "load_run_test.out";
  auto load = start_local_load({"/bin/sh", "-c", kScript}, out);
  const auto seen = start_seen_after(*load);
  ASSERT_TRUE(seen);
  EXPECT_LT(*seen, 0.6) << "the server is sampled at the marker, not a wait later";
  load->abort();
}

TEST(LoadRun, a_held_windows_marker_comes_out_of_the_wait_that_saw_it) {
  HeldLoad held({"/bin/sh", "-c", kScript});  // it never reads the window command: the pipe keeps it
  auto window = held.window(0.1, 3);
  const auto seen = start_seen_after(*window);
  ASSERT_TRUE(seen);
  EXPECT_LT(*seen, 0.6) << "the server is sampled at the marker, not a wait later";
  window->abort();
}

}  // namespace
}  // namespace wsalloc::bench
