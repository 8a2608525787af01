#include "micro/callgrind_out.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace wsalloc::micro {
namespace {

CallgrindTotal parse(const std::string& text, std::string_view event = "Ir") {
  std::istringstream in(text);
  return callgrind_total(in, event);
}

TEST(CallgrindOut, reads_totals_of_instructions) {
  auto t = parse("# callgrind format\nversion: 1\ncmd: ./x\nevents: Ir\nfn=(1) main\n3 5\n\ntotals: 9800025\n");
  EXPECT_EQ(t.status, CallgrindParse::Ok);
  EXPECT_EQ(t.value, 9800025u);
}

TEST(CallgrindOut, falls_back_to_summary_when_there_are_no_totals) {
  auto t = parse("events: Ir\nsummary: 1234\n");
  EXPECT_EQ(t.status, CallgrindParse::Ok);
  EXPECT_EQ(t.value, 1234u);
}

TEST(CallgrindOut, prefers_totals_over_summary) {
  auto t = parse("events: Ir\nsummary: 1\ntotals: 2\n");
  EXPECT_EQ(t.value, 2u);
}

TEST(CallgrindOut, picks_the_column_of_the_requested_event) {
  auto t = parse("events: Ir Dr Dw\ntotals: 100 20 7\n", "Dw");
  EXPECT_EQ(t.status, CallgrindParse::Ok);
  EXPECT_EQ(t.value, 7u);
}

TEST(CallgrindOut, reports_a_missing_event) {
  EXPECT_EQ(parse("events: Dr\ntotals: 100\n").status, CallgrindParse::NoSuchEvent);
}

TEST(CallgrindOut, reports_a_file_cut_before_its_totals) {
  EXPECT_EQ(parse("events: Ir\nfn=(1) main\n3 5\n").status, CallgrindParse::NoTotalsLine);
}

TEST(CallgrindOut, reports_text_that_is_not_callgrind_output) {
  EXPECT_EQ(parse("hello\n").status, CallgrindParse::NoEventsLine);
}

TEST(CallgrindOut, rejects_a_total_that_is_not_a_number) {
  EXPECT_EQ(parse("events: Ir\ntotals: 12x\n").status, CallgrindParse::BadNumber);
}

TEST(CallgrindOut, every_status_has_a_description) {
  for (auto s : {CallgrindParse::Ok, CallgrindParse::NoEventsLine, CallgrindParse::NoSuchEvent,
                 CallgrindParse::NoTotalsLine, CallgrindParse::BadNumber}) {
    EXPECT_NE(to_string(s), "unknown");
  }
}

}  // namespace
}  // namespace wsalloc::micro
