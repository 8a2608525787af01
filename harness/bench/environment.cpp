#include "bench/environment.hpp"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "bench/child_process.hpp"
#include "bench/clock_text.hpp"
#include "bench/server_launch.hpp"
#include "bench/text_trim.hpp"

#ifndef WSALLOC_COMPILER
#define WSALLOC_COMPILER "unknown"
#endif
#ifndef WSALLOC_CXX_FLAGS
#define WSALLOC_CXX_FLAGS "unknown"
#endif
#ifndef WSALLOC_BUILD_TYPE
#define WSALLOC_BUILD_TYPE "unknown"
#endif

namespace wsalloc::bench {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

}  // namespace

GitState git_state(const std::filesystem::path& repo) {
  GitState g;
  if (!find_on_path("git")) return g;
  auto [st, sha] = run_capture({"git", "-C", repo.string(), "rev-parse", "HEAD"}, std::chrono::milliseconds(5000));
  if (!st.ok()) return g;
  g.sha = trim(sha);
  g.short_sha = g.sha.substr(0, 7);
  // Read-only: tracked files that differ from HEAD make the tree dirty (untracked ones do not).
  auto [st2, status] = run_capture({"git", "-C", repo.string(), "status", "--porcelain", "--untracked-files=no"},
                                   std::chrono::milliseconds(10000));
  g.dirty = st2.ok() && !trim(status).empty();
  return g;
}

nlohmann::json load_average() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (!(in >> a >> b >> c)) return nullptr;
  return {a, b, c};
}

nlohmann::json collect_meta(const std::filesystem::path& repo) {
  GitState g = git_state(repo);
  utsname u{};
  ::uname(&u);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string taskset = find_on_path("taskset").value_or("");
  std::string heaptrack_version;
  if (find_on_path("heaptrack")) {
    auto [st, text] = run_capture({"heaptrack", "--version"}, std::chrono::milliseconds(3000));
    if (st.ok()) heaptrack_version = trim(last_line(text));
  }
  return {{"git", {{"sha", g.sha}, {"short", g.short_sha}, {"dirty", g.dirty}}},
          {"build", {{"compiler", WSALLOC_COMPILER}, {"flags", WSALLOC_CXX_FLAGS}, {"build_type", WSALLOC_BUILD_TYPE}}},
          {"cpu", {{"model", cpu_model()}, {"cores", std::thread::hardware_concurrency()},
                   {"online", ::sysconf(_SC_NPROCESSORS_ONLN)}}},
          {"kernel", std::string(u.release) + " " + u.version},
          {"machine", u.machine},
          {"glibc", gnu_get_libc_version()},
          {"hostname", host},
          {"load_average", {{"start", load_average()}, {"end", nullptr}}},
          {"date_utc", utc_iso(std::chrono::system_clock::now())},
          {"warnings", nlohmann::json::array()},
          {"tools", {{"taskset", taskset.empty() ? nlohmann::json(nullptr) : nlohmann::json(taskset)},
                     {"heaptrack", heaptrack_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(heaptrack_version)}}}};
}

std::vector<std::string> machine_warnings(const nlohmann::json& meta) {
  std::vector<std::string> out;
  const auto& la = meta["load_average"]["start"];
  const double cores = meta["cpu"]["online"].is_number() ? meta["cpu"]["online"].get<double>() : 1;
  if (la.is_array() && !la.empty() && la[0].get<double>() > cores / 2) {
    out.push_back(fmt::format("load average {:.2f} at the start on {} cores: other processes compete with the measurement; "
                              "compare ratios within this run only",
                              la[0].get<double>(), cores));
  }
  return out;
}

void finish_meta(nlohmann::json& meta) {
  meta["load_average"]["end"] = load_average();
  meta["finished_utc"] = utc_iso(std::chrono::system_clock::now());
}

}  // namespace wsalloc::bench
