#include "bench/heaptrack_profile.hpp"

#include <gtest/gtest.h>

#include "bench/bench_run.hpp"
#include "test_support.hpp"

namespace wsalloc::bench {
namespace {

// heaptrack_print 1.4 output (trimmed), as `wsbench profile` runs it: -a 1 -p 1 -T 1 -s 0.
constexpr const char* kSample = R"(reading file "x.zst" - please wait, this might take some time...
Debuggee command was: /b/wsalloc-server --variant malloc --host 127.0.0.1 --port 0
finished reading file, now analyzing data:

MOST CALLS TO ALLOCATION FUNCTIONS
120000 calls to allocation functions with 1.68K peak consumption from
wsalloc::variants::PmrPipeline::on_message(std::span<unsigned char>)
  at /src/servers/variants/pmr_pipeline.cpp:88
  in /b/wsalloc-server
  and 120000 from 4 other places

35 calls to allocation functions with 21.25K peak consumption from
0x555b920e63a3
  in /b/wsalloc-server
  and 35 from 10 other places


PEAK MEMORY CONSUMERS
72.70K peak memory consumed over 1 calls from
0x7f2d9f4a57b9
  in /lib/x86_64-linux-gnu/libstdc++.so.6
  and 72.70K from 1 other places


MOST TEMPORARY ALLOCATIONS
119990 temporary allocations of 120000 allocations in total (99.99%) from
wsalloc::variants::PmrPipeline::on_message(std::span<unsigned char>)
  at /src/servers/variants/pmr_pipeline.cpp:88
  in /b/wsalloc-server
  and 12B from 4 other places


total runtime: 3.21s.
calls to allocation functions: 120241 (37458/s)
temporary memory allocations: 120040 (37395/s)
peak heap memory consumption: 138.77K
peak RSS (including heaptrack overhead): 4.69M
total memory leaked: 33.82K
)";

TEST(HeaptrackProfile, sizes_are_parsed_with_powers_of_1000) {
  EXPECT_EQ(parse_heaptrack_size("138.77K"), 138770);
  EXPECT_EQ(parse_heaptrack_size("4.69M"), 4.69e6);
  EXPECT_EQ(parse_heaptrack_size("512B"), 512);
  EXPECT_EQ(parse_heaptrack_size("7"), 7);
  EXPECT_FALSE(parse_heaptrack_size("lots"));
  EXPECT_FALSE(parse_heaptrack_size("3X"));
}

TEST(HeaptrackProfile, totals_and_top_sites_are_read_from_heaptrack_print) {
  HeaptrackSummary s = parse_heaptrack_print(kSample);
  EXPECT_EQ(s.allocation_calls, 120241u);
  EXPECT_EQ(s.temporary_allocations, 120040u);
  EXPECT_DOUBLE_EQ(*s.peak_heap_bytes, 138770);
  EXPECT_DOUBLE_EQ(*s.peak_rss_bytes, 4.69e6);
  EXPECT_DOUBLE_EQ(*s.leaked_bytes, 33820);
  EXPECT_DOUBLE_EQ(*s.runtime_s, 3.21);
  EXPECT_EQ(s.debuggee, "/b/wsalloc-server --variant malloc --host 127.0.0.1 --port 0");
  ASSERT_EQ(s.top_calls.size(), 2u);
  EXPECT_EQ(s.top_calls[0].count, 120000u);
  EXPECT_EQ(s.top_calls[0].function, "wsalloc::variants::PmrPipeline::on_message(std::span<unsigned char>)");
  EXPECT_EQ(s.top_calls[0].location, "/src/servers/variants/pmr_pipeline.cpp:88");
  EXPECT_EQ(s.top_calls[0].module, "/b/wsalloc-server");
  EXPECT_EQ(s.top_calls[1].location, "");  // no debug info: no "at" line
  ASSERT_EQ(s.top_peak.size(), 1u);
  EXPECT_DOUBLE_EQ(s.top_peak[0].bytes, 72700);
  ASSERT_EQ(s.top_temporary.size(), 1u);
  EXPECT_EQ(s.top_temporary[0].count, 119990u);
  EXPECT_EQ(s.top_temporary[0].of_total, 120000u);
  nlohmann::json j = s.to_json();
  EXPECT_EQ(j["top_calls"][0]["calls"], 120000);
  EXPECT_EQ(j["allocation_calls"], 120241);
}

TEST(HeaptrackProfile, missing_sections_stay_unmeasured) {
  HeaptrackSummary s = parse_heaptrack_print("total runtime: 0.00s.\n");
  EXPECT_FALSE(s.allocation_calls);
  EXPECT_TRUE(s.to_json()["leaked_bytes"].is_null());
  EXPECT_TRUE(s.top_calls.empty());
}

// Every refusal comes before heaptrack or a server starts, and leaves no results folder behind.
TEST(HeaptrackProfile, a_case_or_target_that_cannot_be_profiled_is_refused_before_anything_starts) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "scenarios" / "echo-small.toml", "description = \"d\"\nkind = \"echo\"\n");
  testing::write_file(dir.path() / "scenarios" / "rate.toml",
                      "description = \"d\"\nkind = \"latency-at-rate\"\n[[case]]\nname = \"r50\"\nrate_fraction = 0.5\n");
  std::string err;
  auto profile = [&](const ProfileOptions& o) {
    ::testing::internal::CaptureStderr();
    const int rc = profile_command(testing::temp_paths(dir), o);
    err = ::testing::internal::GetCapturedStderr();
    return rc;
  };
  ProfileOptions o;
  o.target = "malloc";
  o.scenario = "nope";
  EXPECT_EQ(profile(o), kExitUsage);
  EXPECT_NE(err.find("no scenario \"nope\""), std::string::npos) << err;
  o.scenario = "echo-small";
  o.case_name = "big";
  EXPECT_EQ(profile(o), kExitUsage);
  EXPECT_NE(err.find("scenario echo-small has no case \"big\""), std::string::npos) << err;
  o.scenario = "rate";
  o.case_name = "r50";
  EXPECT_EQ(profile(o), kExitUsage);
  EXPECT_NE(err.find("case r50 derives its rate from a capacity run"), std::string::npos) << err;
  o.scenario = "echo-small";
  o.case_name = "";
  o.target = "nosuch";
  EXPECT_EQ(profile(o), kExitUsage);
  EXPECT_NE(err.find("no target \"nosuch\""), std::string::npos) << err;
  o.target = "malloc";  // nothing is built in the temporary bin folder
  EXPECT_EQ(profile(o), kExitHarness);
  EXPECT_NE(err.find("target malloc unavailable"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "results"));
}

}  // namespace
}  // namespace wsalloc::bench
