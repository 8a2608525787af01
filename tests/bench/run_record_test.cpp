#include "bench/run_record.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

TEST(RunRecord, id_omits_the_default_case) {
  RunRecord r;
  r.scenario = "echo-small";
  r.case_name = "default";
  EXPECT_EQ(r.id(), "echo-small");
  r.case_name = "64KiB";
  EXPECT_EQ(r.id(), "echo-small/64KiB");
}

TEST(RunRecord, json_has_the_fields_readers_rely_on) {
  RunRecord r;
  r.scenario = "s";
  r.case_name = "default";
  r.target = "zerocopy";
  r.repetition = 2;
  r.pass = RunPass::Count;
  r.status = RunStatus::Failed;
  r.reason = "server: exit 1";
  nlohmann::json j = r.to_json();
  EXPECT_EQ(j["pass"], "count");
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["reason"], "server: exit 1");
  EXPECT_EQ(j["repetition"], 2);
  EXPECT_TRUE(j["commands"]["server"].is_null());
  EXPECT_EQ(j["load"]["connections"], 100);
  EXPECT_TRUE(j["metrics"]["msgs_per_sec"]["value"].is_null());
}

TEST(RunRecord, only_ok_and_errors_carry_a_measurement) {
  EXPECT_TRUE(status_has_measurement(RunStatus::Ok));
  EXPECT_TRUE(status_has_measurement(RunStatus::Errors));
  EXPECT_FALSE(status_has_measurement(RunStatus::Failed));
  EXPECT_FALSE(status_has_measurement(RunStatus::Skipped));
  EXPECT_FALSE(status_has_measurement(RunStatus::Unavailable));
  EXPECT_FALSE(status_has_measurement(RunStatus::Disturbed));  // measured again: the repeat stands for it
  EXPECT_STREQ(to_string(RunStatus::Disturbed), "disturbed");
  EXPECT_STREQ(to_string(WindowSource::Markers), "wsload-window");
}

}  // namespace
}  // namespace wsalloc::bench
