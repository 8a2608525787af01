// The A/B run's base: which commit, and its wsalloc-server built beside the candidate.
//
// Which commit (choose_base), first that applies:
//   1. --ab-base REV, when given (any revision git understands: a sha, main~3, a tag);
//   2. the commit results/baseline.json names: meta.gate.ab_base when --update-baseline was given
//      --ab-base REV (a branch measured before its merge names a commit of main, which a rebase
//      keeps, instead of its own HEAD, which a rebase replaces), else meta.git.sha, the commit the
//      exact counts were measured on. CI runs in a full clone of main, where that commit exists;
//   3. the merge base of HEAD and main (or origin/main), when it is not HEAD itself.
// None found (a shallow clone, a baseline measured on a commit that was rebased away): no base,
// and `why_none` says which of these failed and how to fix it. The gate then warns, loudly.
//
// Building it (build_base): harness/bench/gate/build-base.sh into <build dir>/gate-base, with the
// candidate's compiler, flags and build type (the only differences left are the sources), reused
// by later gates while the commit stays the same.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/gate/gate_metrics.hpp"

namespace wsalloc::bench::gate {

struct BaseChoice {
  std::string sha;                    // full sha; "" = none found
  std::string source;                 // "--ab-base main~3", "results/baseline.json", "merge-base with main"
  std::string why_none;               // when sha is ""
  std::vector<std::string> warnings;  // e.g. the baseline was measured on a dirty tree
};

BaseChoice choose_base(const std::filesystem::path& repo, const std::string& explicit_rev, const GateDoc& baseline);

// The full sha of `rev` in `repo`, or "" (no such commit, or no git).
std::string resolve_commit(const std::filesystem::path& repo, const std::string& rev);
// Whether commit `sha` is main or origin/main or an ancestor of either: a commit that a later
// rebase of the branch under test cannot take out of history.
bool on_main(const std::filesystem::path& repo, const std::string& sha);

struct BaseBuildSpec {
  std::filesystem::path repo;
  std::string sha;
  std::filesystem::path dir;           // <build dir>/gate-base
  std::filesystem::path script;        // build-base.sh
  std::vector<std::string> cmake_args; // default: candidate_cmake_args()
  std::filesystem::path workdir;       // the script's stdout/stderr
  std::chrono::seconds timeout{1200};
};

struct BaseBuild {
  bool ok = false;
  std::filesystem::path server;  // ok: the base's wsalloc-server
  std::string reason;            // !ok: what failed, with the last line of its log
  double seconds = 0;
  bool reused = false;           // the build directory already held this commit
};

BaseBuild build_base(const BaseBuildSpec& spec);

// The CMake settings of the build this gate was compiled in (compiler, launcher, flags, build type).
std::vector<std::string> candidate_cmake_args();

// The compiled-in path of build-base.sh in the source tree.
std::filesystem::path default_build_base_script();

}  // namespace wsalloc::bench::gate
