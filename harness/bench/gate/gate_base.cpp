#include "bench/gate/gate_base.hpp"

#include <fstream>

#include <fmt/core.h>

#include "bench/child_process.hpp"
#include "bench/tool_run.hpp"
#include "bench/server_launch.hpp"
#include "bench/text_trim.hpp"

// The candidate's build settings, from gate/CMakeLists.txt.
#ifndef WSALLOC_GATE_BUILD_TYPE
#define WSALLOC_GATE_BUILD_TYPE ""
#define WSALLOC_GATE_CXX_COMPILER ""
#define WSALLOC_GATE_C_COMPILER ""
#define WSALLOC_GATE_CXX_LAUNCHER ""
#define WSALLOC_GATE_C_LAUNCHER ""
#define WSALLOC_GATE_CXX_FLAGS ""
#define WSALLOC_GATE_C_FLAGS ""
#endif
#ifndef WSALLOC_SOURCE_DIR
#define WSALLOC_SOURCE_DIR "."
#endif

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// `git -C repo args...`: stdout trimmed, or "" when git fails.
std::string git(const fs::path& repo, std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", repo.string()});
  auto [st, out] = run_capture(args, 10000ms);
  return st.ok() ? trim(out) : std::string();
}

std::string commit_of(const fs::path& repo, const std::string& rev) {
  return git(repo, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
}

std::string shallow_hint(const fs::path& repo) {
  return git(repo, {"rev-parse", "--is-shallow-repository"}) == "true"
             ? " (this is a shallow clone: `git fetch --unshallow` brings the history)"
             : "";
}

std::string string_at(const nlohmann::json& m, const char* object, const char* key) {
  if (!m.contains(object) || !m[object].is_object() || !m[object].contains(key) || !m[object][key].is_string()) return "";
  const std::string s = m[object][key].get<std::string>();
  return s == "unknown" ? "" : s;
}

// The merge base of HEAD with main (or origin/main) when it is not HEAD itself; otherwise "" and
// `why` says what was found instead.
std::string merge_base_with_main(const fs::path& repo, std::string& which, std::string& why) {
  const std::string head = commit_of(repo, "HEAD");
  why = "this clone has no branch main or origin/main";
  for (const char* main : {"main", "origin/main"}) {
    if (commit_of(repo, main).empty()) continue;
    const std::string mb = git(repo, {"merge-base", "HEAD", main});
    if (!mb.empty() && mb != head) {
      which = main;
      return mb;
    }
    why = fmt::format("the merge base with {} is HEAD itself", main);
  }
  return "";
}

}  // namespace

std::string resolve_commit(const fs::path& repo, const std::string& rev) {
  return find_on_path("git") ? commit_of(repo, rev) : std::string();
}

bool on_main(const fs::path& repo, const std::string& sha) {
  for (const char* main : {"main", "origin/main"}) {
    if (commit_of(repo, main).empty()) continue;
    if (run_capture({"git", "-C", repo.string(), "merge-base", "--is-ancestor", sha, main}, 10000ms).first.ok()) return true;
  }
  return false;
}

BaseChoice choose_base(const fs::path& repo, const std::string& explicit_rev, const GateDoc& baseline) {
  BaseChoice c;
  if (!find_on_path("git")) {
    c.why_none = "git is not on PATH";
    return c;
  }
  if (!explicit_rev.empty()) {
    c.sha = commit_of(repo, explicit_rev);
    c.source = "--ab-base " + explicit_rev;
    if (c.sha.empty()) c.why_none = fmt::format("--ab-base {}: not a commit in {}{}", explicit_rev, repo.string(), shallow_hint(repo));
    return c;
  }
  std::string missing;
  const std::string named_base = string_at(baseline.meta, "gate", "ab_base");
  if (const std::string named = named_base.empty() ? string_at(baseline.meta, "git", "sha") : named_base; !named.empty()) {
    c.sha = commit_of(repo, named);
    if (!c.sha.empty()) {
      c.source = "results/baseline.json";
      if (named_base.empty() && baseline.meta["git"].value("dirty", false)) {
        c.warnings.push_back(fmt::format("the baseline was measured on a dirty tree; the A/B base is its commit {} "
                                         "without those uncommitted changes",
                                         named.substr(0, 10)));
      }
      return c;
    }
    missing = fmt::format("results/baseline.json names commit {}, which is not in this clone{}", named.substr(0, 10),
                          shallow_hint(repo));
  } else {
    missing = "results/baseline.json names no commit (meta.git.sha)";
  }
  std::string which, no_merge_base;
  c.sha = merge_base_with_main(repo, which, no_merge_base);
  if (!c.sha.empty()) {
    c.source = "merge-base with " + which;
    c.warnings.push_back(missing + "; using the merge base with " + which);
    return c;
  }
  c.why_none = fmt::format("{}, and {}. Pass --ab-base REV, or run `wsbench gate --update-baseline` on a committed "
                           "tree",
                           missing, no_merge_base);
  return c;
}

std::vector<std::string> candidate_cmake_args() {
  std::vector<std::string> args = {std::string("-DCMAKE_BUILD_TYPE=") + WSALLOC_GATE_BUILD_TYPE,
                                   std::string("-DCMAKE_CXX_FLAGS=") + WSALLOC_GATE_CXX_FLAGS,
                                   std::string("-DCMAKE_C_FLAGS=") + WSALLOC_GATE_C_FLAGS};
  if (*WSALLOC_GATE_CXX_COMPILER) args.push_back(std::string("-DCMAKE_CXX_COMPILER=") + WSALLOC_GATE_CXX_COMPILER);
  if (*WSALLOC_GATE_C_COMPILER) args.push_back(std::string("-DCMAKE_C_COMPILER=") + WSALLOC_GATE_C_COMPILER);
  // A local compiler cache speeds the base build up where one is configured; CI has none.
  if (*WSALLOC_GATE_CXX_LAUNCHER) args.push_back(std::string("-DCMAKE_CXX_COMPILER_LAUNCHER=") + WSALLOC_GATE_CXX_LAUNCHER);
  if (*WSALLOC_GATE_C_LAUNCHER) args.push_back(std::string("-DCMAKE_C_COMPILER_LAUNCHER=") + WSALLOC_GATE_C_LAUNCHER);
  return args;
}

fs::path default_build_base_script() { return fs::path(WSALLOC_SOURCE_DIR) / "harness/bench/gate/build-base.sh"; }

BaseBuild build_base(const BaseBuildSpec& spec) {
  BaseBuild b;
  {
    std::ifstream stamp(spec.dir / "src" / ".wsalloc-base-sha");
    std::string built;
    b.reused = std::getline(stamp, built) && built == spec.sha && fs::exists(spec.dir / "build/bin/wsalloc-server");
  }
  std::vector<std::string> argv = {"bash", spec.script.string(), spec.repo.string(), spec.sha, spec.dir.string()};
  const std::vector<std::string> cmake = spec.cmake_args.empty() ? candidate_cmake_args() : spec.cmake_args;
  argv.insert(argv.end(), cmake.begin(), cmake.end());
  const auto t0 = std::chrono::steady_clock::now();
  const ToolResult r = run_tool(argv, spec.timeout, spec.workdir, "build-base");
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string server = last_line(r.out);
  if (!r.status.ok() || server.empty() || !fs::exists(server)) {
    b.reason = fmt::format("building wsalloc-server of {} failed: {}{}", spec.sha.substr(0, 10), r.status.describe(),
                           r.err_tail.empty() ? "" : " (" + r.err_tail + ")");
    return b;
  }
  b.ok = true;
  b.server = server;
  return b;
}

}  // namespace wsalloc::bench::gate
