// The load-hosts part of the report (wsbench run --load-hosts): who the hosts were, each one's share
// and figures beside the merge, and partial runs said as such, in the view, the page and report.md.
#include <gtest/gtest.h>

#include "bench/report/report_html.hpp"
#include "bench/report/report_markdown.hpp"
#include "report_test_support.hpp"

using nlohmann::json;
using namespace report_test;

namespace {

// The fixture's results as if its first time run had come from two load hosts, one of them lost.
json distributed_results() {
  json r = results();
  r["settings"]["load"] = {{"engine", "locust"}, {"version", "2.12.1-1"}, {"master", "10.201.0.1:5557"},
                           {"hosts", {{"l1", json::object()}, {"l2", json::object()}}}};
  for (json& rec : r["records"]) {
    if (rec["pass"] != "time" || rec["repetition"] != 1) continue;
    rec["status"] = "errors";
    rec["reason"] = "partial load, shares missing: l2 (lost: its worker stopped answering)";
    rec["distributed"] = {
        {"partial", true},
        {"hosts",
         {{{"name", "l1"}, {"status", "ok"}, {"reason", nullptr}, {"share", {{"shard", "1/2"}, {"connections", 50}, {"rate", nullptr}}},
           {"figures", {{"msgs_per_sec", 1234.5}, {"latency_us", {{"p50", 40.0}, {"p99", 90.0}}}, {"errors", 0}}}},
          {{"name", "l2"}, {"status", "lost"}, {"reason", "its worker stopped answering"},
           {"share", {{"shard", "2/2"}, {"connections", 50}, {"rate", nullptr}}}, {"figures", nullptr}}}}};
    break;
  }
  return r;
}

json view_of(const json& r) {
  wsalloc::report::ViewInputs in;
  in.results = &r;
  return wsalloc::report::build_report_view(in);
}

TEST(ReportLoadHosts, a_single_host_run_has_no_load_hosts_part) {
  EXPECT_TRUE(fixture_view(false)["load_hosts"].is_null());
  EXPECT_EQ(wsalloc::report::render_html(fixture_view(false), "").find("id=\"load-hosts\""), std::string::npos);
}

TEST(ReportLoadHosts, hosts_their_shares_and_the_partial_run_are_shown) {
  const json r = distributed_results();
  const json v = view_of(r);
  ASSERT_TRUE(v["load_hosts"].is_object());
  EXPECT_EQ(v["load_hosts"]["hosts"], json({"l1", "l2"}));
  ASSERT_EQ(v["load_hosts"]["runs"].size(), 1u);
  const json& run = v["load_hosts"]["runs"][0];
  EXPECT_TRUE(run["partial"].get<bool>());
  EXPECT_EQ(run["hosts"][0]["msgs_per_sec"], 1234.5);
  EXPECT_EQ(run["hosts"][1]["status"], "lost");

  const std::string html = wsalloc::report::render_html(v, "");
  EXPECT_NE(html.find("<section id=\"load-hosts\">"), std::string::npos);
  EXPECT_NE(html.find("Load from <b>l1, l2</b> through locust 2.12.1-1 (master 10.201.0.1:5557)"), std::string::npos);
  EXPECT_NE(html.find("data-load-host=\"l2\""), std::string::npos);
  EXPECT_NE(html.find("PARTIAL: partial load, shares missing: l2 (lost"), std::string::npos);

  const std::string md = wsalloc::report::render_markdown(v);
  EXPECT_NE(md.find("## Load hosts (locust 2.12.1-1, master 10.201.0.1:5557)"), std::string::npos) << md;
  EXPECT_NE(md.find("| l2 | 2/2 | 50 | not measured | **lost**: its worker stopped answering |"), std::string::npos) << md;
  EXPECT_NE(md.find("**PARTIAL**"), std::string::npos);
}

}  // namespace
