// Opens the fixture's report in headless Chromium: every planned chart must have drawn pixels, the
// page must have caught no errors, and a screenshot is kept under the build dir. Chromium missing is
// a failure, not a skip (scripts/install-deps.sh installs Debian's chromium).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "bench/report/report_command.hpp"
#include "report_test_support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace report_test;

namespace {

constexpr int kBrowserTimeoutS = 90;  // one headless page load; generous for 2 busy cores

std::string chromium() {
  const char* env = std::getenv("WSALLOC_CHROMIUM");
  return env && *env ? env : "/usr/bin/chromium";
}

// Runs a shell command (bounded by timeout(1)), returns its stdout and exit status.
std::pair<std::string, int> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {"", -1};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  return {out, WIFEXITED(st) ? WEXITSTATUS(st) : -1};
}

std::string flags(const fs::path& profile) {
  return "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run --no-default-browser-check "
         "--user-data-dir=" + profile.string() + " --virtual-time-budget=5000";
}

std::string unescape_html(std::string s) {
  const std::pair<const char*, const char*> ents[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : ents) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + 1)) s.replace(p, std::strlen(from), to);
  }
  return s;
}

class ReportBrowser : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(REPORT_OUT_DIR) / "browser";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    wsalloc::report::ReportOptions o;
    o.results = fixture("results.json");
    o.baseline = fixture("baseline.json");
    o.html_out = dir_ / "report.html";
    o.quiet = true;
    render_rc_ = wsalloc::report::render_report(o);
  }
  static fs::path dir_;
  static int render_rc_;
};
fs::path ReportBrowser::dir_;
int ReportBrowser::render_rc_ = -1;

}  // namespace

TEST_F(ReportBrowser, chromium_is_installed) {
  ASSERT_EQ(::access(chromium().c_str(), X_OK), 0)
      << chromium() << " not found or not executable: install Debian's chromium (scripts/install-deps.sh) "
      << "or set WSALLOC_CHROMIUM to a Chromium binary";
}

TEST_F(ReportBrowser, every_chart_renders_and_the_page_has_no_errors) {
  ASSERT_EQ(render_rc_, 0);
  ASSERT_EQ(::access(chromium().c_str(), X_OK), 0) << chromium() << " missing (scripts/install-deps.sh installs it)";
  const fs::path profile = dir_ / "profile-dom";
  const auto [dom, rc] = run("timeout -k 5 " + std::to_string(kBrowserTimeoutS) + " " + chromium() + " " + flags(profile) +
                             " --dump-dom file://" + (dir_ / "report.html").string() + " 2>" + (dir_ / "chromium-dom.log").string());
  std::ofstream(dir_ / "dom.html") << dom;
  ASSERT_EQ(rc, 0) << "chromium exit " << rc << "; see " << (dir_ / "chromium-dom.log");
  const std::string text = unescape_html(between(dom, "<pre id=\"render-status\">", "</pre>"));
  const json status = json::parse(text, nullptr, false);
  ASSERT_FALSE(status.is_discarded()) << "render-status is not JSON: " << text.substr(0, 400);
  ASSERT_EQ(status["done"], true) << "the page script did not finish: " << text;
  EXPECT_TRUE(status["errors"].empty()) << "page errors: " << status["errors"].dump();
  // The sections the page has, and that each drew all of its charts.
  const std::vector<std::pair<std::string, int>> expected = {
      {"scenario:echo-small", 6}, {"scenario:idle-10k", 2}, {"allocators", 1},  // echo-small: + where the cost goes
      {"instructions", 1}};
  ASSERT_EQ(status["sections"].size(), expected.size()) << status.dump();
  for (const auto& [name, n] : expected) {
    const json& s = status["sections"][name];
    EXPECT_EQ(s["expected"], n) << name;
    EXPECT_EQ(s["canvases"], n) << name;
    EXPECT_EQ(s["rendered"], n) << name << ": " << s.dump();
  }
  // The instructions table as the browser has it: the fixture's counts, in numbers.
  const std::string table = between(dom, "<table id=\"instructions-table\"", "</table>");
  EXPECT_NE(table.find(">1,529 · ×1.00 · 3</td>"), std::string::npos) << table;
  EXPECT_NE(table.find(">558 · ×0.36 · 0</td>"), std::string::npos) << table;
}

// Issue 14, item 8: at 1400 px no table runs past the window and the page never scrolls sideways.
TEST_F(ReportBrowser, tables_fit_a_1400_px_window) {
  ASSERT_EQ(render_rc_, 0);
  ASSERT_EQ(::access(chromium().c_str(), X_OK), 0) << chromium() << " missing (scripts/install-deps.sh installs it)";
  const auto [dom, rc] = run("timeout -k 5 " + std::to_string(kBrowserTimeoutS) + " " + chromium() + " " +
                             flags(dir_ / "profile-width") + " --window-size=1400,1000 --dump-dom file://" +
                             (dir_ / "report.html").string() + " 2>" + (dir_ / "chromium-width.log").string());
  ASSERT_EQ(rc, 0) << "chromium exit " << rc << "; see " << (dir_ / "chromium-width.log");
  const json status = json::parse(unescape_html(between(dom, "<pre id=\"render-status\">", "</pre>")), nullptr, false);
  ASSERT_FALSE(status.is_discarded());
  ASSERT_EQ(status["done"], true) << status.dump();
  EXPECT_TRUE(status["wide_tables"].empty()) << "tables past the window: " << status["wide_tables"].dump();
  EXPECT_LE(status["page_width"].get<double>(), status["window_width"].get<double>()) << status.dump();
}

// The detector itself: a page whose script throws must show up as an error with nothing drawn,
// otherwise the test above could pass on a page that never ran.
TEST_F(ReportBrowser, a_throwing_page_script_is_reported_not_passed) {
  ASSERT_EQ(render_rc_, 0);
  ASSERT_EQ(::access(chromium().c_str(), X_OK), 0) << chromium() << " missing (scripts/install-deps.sh installs it)";
  std::string html = read_text((dir_ / "report.html").string());
  const std::string hook = "Chart.defaults.animation = false;";
  const size_t at = html.find(hook);
  ASSERT_NE(at, std::string::npos);
  html.replace(at, hook.size(), "Chart.defaults.animation = false; setTimeout(function(){throw new Error('boom-from-test');},0);"
                                " Chart.prototype.draw = function(){};");
  std::ofstream(dir_ / "broken.html") << html;
  const auto [dom, rc] = run("timeout -k 5 " + std::to_string(kBrowserTimeoutS) + " " + chromium() + " " +
                             flags(dir_ / "profile-broken") + " --dump-dom file://" + (dir_ / "broken.html").string() +
                             " 2>/dev/null");
  ASSERT_EQ(rc, 0);
  const json status = json::parse(unescape_html(between(dom, "<pre id=\"render-status\">", "</pre>")), nullptr, false);
  ASSERT_FALSE(status.is_discarded());
  EXPECT_NE(status["errors"].dump().find("boom-from-test"), std::string::npos) << status.dump();
  EXPECT_EQ(status["sections"]["scenario:echo-small"]["rendered"], 0) << status.dump();
}

TEST_F(ReportBrowser, screenshot_is_saved_under_the_build_dir) {
  ASSERT_EQ(render_rc_, 0);
  ASSERT_EQ(::access(chromium().c_str(), X_OK), 0) << chromium() << " missing (scripts/install-deps.sh installs it)";
  const fs::path png = dir_ / "report.png";
  const auto [out, rc] = run("timeout -k 5 " + std::to_string(kBrowserTimeoutS) + " " + chromium() + " " +
                             flags(dir_ / "profile-shot") + " --hide-scrollbars --window-size=1400,4000 --screenshot=" +
                             png.string() + " file://" + (dir_ / "report.html").string() + " 2>" +
                             (dir_ / "chromium-shot.log").string());
  ASSERT_EQ(rc, 0) << "chromium exit " << rc << "; see " << (dir_ / "chromium-shot.log");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 20'000u);  // a blank 1400x4000 PNG compresses to a few KB
  const std::string head = read_text(png.string()).substr(0, 8);
  EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8));
  std::printf("screenshot: %s\n", png.c_str());
}
