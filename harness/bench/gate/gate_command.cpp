#include "bench/gate/gate_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <fmt/format.h>

#include "bench/environment.hpp"
#include "bench/gate/gate_ab.hpp"
#include "bench/gate/gate_ab_rows.hpp"
#include "bench/gate/gate_base.hpp"
#include "bench/gate/gate_compare.hpp"
#include "bench/gate/gate_confirm.hpp"
#include "bench/gate/gate_measure.hpp"
#include "bench/gate/gate_table.hpp"
#include "bench/gate/gate_thresholds.hpp"

namespace wsalloc::bench::gate {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_csv(const std::string& csv) {
  std::vector<std::string> out;
  std::stringstream ss(csv);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Rows whose value moved, appeared or disappeared: what --update-baseline changed.
std::vector<MetricRow> changed(const std::vector<MetricRow>& rows) {
  std::vector<MetricRow> out;
  for (const MetricRow& r : rows)
    if (r.baseline != r.current) out.push_back(r);
  return out;
}

// Which commit the written baseline names as the A/B base (meta.gate.ab_base): --ab-base REV when
// given, else HEAD (meta.git.sha, nothing extra written). Warns when that commit is on no main: a
// rebase of this branch replaces it, and a later gate in a clone of main finds no base.
bool name_ab_base(const GateOptions& o, GateDoc& current) {
  std::string sha = current.meta.contains("git") ? current.meta["git"].value("sha", "") : "";
  if (!o.ab_base.empty()) {
    sha = resolve_commit(o.paths.repo_root, o.ab_base);
    if (sha.empty()) {
      fmt::print(stderr, "gate: --ab-base {}: not a commit in {}\n", o.ab_base, o.paths.repo_root.string());
      return false;
    }
    current.meta["gate"]["ab_base"] = sha;
    fmt::print("gate: the baseline names {} (--ab-base {}) as the A/B base, not HEAD\n", sha.substr(0, 10), o.ab_base);
  }
  if (!sha.empty() && sha != "unknown" && !on_main(o.paths.repo_root, sha)) {
    fmt::print(stderr,
               "gate: WARNING: the A/B base {} is on no main branch: a rebase or squash replaces it, and a gate in a "
               "clone of main then finds no base (A/B NOT DONE). On a branch, name a commit of main: "
               "--update-baseline --ab-base main\n",
               sha.substr(0, 10));
  }
  return true;
}

int update_baseline(const GateOptions& o, GateDoc& current, const Thresholds& th) {
  if (!o.variants.empty() || !o.core || !o.exact) {
    fmt::print(stderr, "gate: --update-baseline needs the full measurement (no --variants/--no-core/--no-exact)\n");
    return kGateHarnessError;
  }
  if (!name_ab_base(o, current)) return kGateHarnessError;
  // The baseline names HEAD: a commit anyone can check out, which the A/B will build as its base.
  if (current.meta.contains("git") && current.meta["git"].value("dirty", false)) {
    fmt::print(stderr,
               "gate: WARNING: the tree has uncommitted changes; the baseline records HEAD {} with \"dirty\": true, "
               "and the A/B will build {} without those changes. Commit first, then update the baseline, for an "
               "exact base.\n",
               current.meta["git"].value("short", "?"), current.meta["git"].value("short", "?"));
  }
  std::optional<GateDoc> old;
  if (fs::exists(o.baseline)) {
    try {
      old = read_gate_doc(o.baseline);
    } catch (const std::exception& e) {
      fmt::print(stderr, "gate: old baseline unreadable ({}); writing a fresh one\n", e.what());
    }
  }
  write_gate_doc(current, o.baseline);
  fmt::print("gate: baseline written: {} ({} metrics)\n", o.baseline, current.metrics.size());
  if (!old) return kGatePass;
  std::vector<std::string> warnings;
  if (auto why = incompatibility(*old, current, warnings)) fmt::print("gate: the old baseline was another build: {}\n", *why);
  for (const std::string& w : warnings) fmt::print("gate: note: {}\n", w);
  const std::vector<MetricRow> diff = changed(compare(*old, current, th));
  if (diff.empty()) {
    fmt::print("gate: no metric changed against the old baseline\n");
  } else {
    fmt::print("gate: {} metric(s) changed against the old baseline (old = baseline column):\n{}", diff.size(),
               terminal_table(diff));
  }
  return kGatePass;
}

// --no-exact measures nothing exact; the meta block still says what build this is, so the
// compatibility check with the baseline (same compiler, flags, build type) still applies.
nlohmann::json baseline_compatible_meta(const GateOptions& o) {
  nlohmann::json meta = collect_meta(o.paths.repo_root);
  finish_meta(meta);
  return meta;
}

uint64_t fresh_seed() {
  std::random_device rd;
  return (uint64_t(rd()) << 32 | rd()) ^ uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
}

// Chooses and builds the base, then runs the A/B. Never throws for the base's sake: a base that
// cannot be found, built or run gives a NotDone session whose reason the table and summary show.
AbSession measure_ab(const GateOptions& o, const MeasureOptions& mo, const GateDoc& baseline, const Thresholds& th,
                     std::vector<std::string>& warnings) {
  AbSession s;
  s.variants = mo.variants;
  const BaseChoice choice = choose_base(o.paths.repo_root, o.ab_base, baseline);
  warnings.insert(warnings.end(), choice.warnings.begin(), choice.warnings.end());
  s.base.sha = choice.sha;
  s.base.source = choice.source;
  if (choice.sha.empty()) {
    s.reason = choice.why_none;
  } else {
    BaseBuildSpec spec;
    spec.repo = o.paths.repo_root;
    spec.sha = choice.sha;
    spec.dir = o.paths.bin_dir.parent_path() / "gate-base";
    spec.script = default_build_base_script();
    spec.workdir = mo.workdir;
    fmt::print(stderr, "gate: A/B base {} ({}): building its wsalloc-server in {}\n", choice.sha.substr(0, 10),
               choice.source, spec.dir.string());
    const BaseBuild built = build_base(spec);
    s.base.build_seconds = built.seconds;
    s.base.reused = built.reused;
    fmt::print(stderr, "gate: A/B base build {} in {:.1f} s\n", built.ok ? "done" : "FAILED", built.seconds);
    if (!built.ok) {
      s.reason = built.reason;
    } else {
      AbOptions ab;
      ab.base_server = built.server;
      ab.candidate_server = o.paths.bin_dir / "wsalloc-server";
      ab.wsload = o.paths.bin_dir / "wsload";
      ab.variants = mo.variants;
      ab.settings = th.ab;
      ab.seed = o.ab_seed.value_or(fresh_seed());
      ab.pin = o.pin;
      ab.workdir = mo.workdir;
      fmt::print(stderr, "gate: A/B seed {} (--ab-seed {} repeats this order), load average {}\n", ab.seed, ab.seed,
                 load_average().dump());
      s = run_ab(ab, std::move(s));
    }
  }
  if (s.status == AbStatus::NotDone) {
    fmt::print(stderr, "gate: WARNING: A/B NOT DONE: {}\n", s.reason);
  }
  return s;
}

// gate_confirm.hpp: e2e rows that fail are measured again on fresh servers; a metric keeps its
// lowest value, so only a rise seen every time fails.
std::vector<MetricRow> confirm_e2e_rise(const MeasureOptions& mo, const GateDoc& baseline, GateDoc& current,
                                        const Thresholds& th, const CompareScope& scope, std::vector<MetricRow> rows) {
  for (int attempt = 1; attempt <= kE2eConfirmations; ++attempt) {
    const std::set<std::string> rose = variants_with_e2e_rise(rows);
    if (rose.empty()) break;
    MeasureOptions again_opts = mo;
    again_opts.variants.assign(rose.begin(), rose.end());
    fmt::print(stderr, "gate: end-to-end allocations rose for {}: measuring again on a fresh server ({}/{})\n",
               fmt::join(rose, ", "), attempt, kE2eConfirmations);
    GateDoc again;
    measure_e2e_allocations(again_opts, again);
    for (const std::string& key : keep_lower_e2e(current, again))
      fmt::print(stderr, "gate: {}: lower in the new measurement ({}), not a per-message cost\n", key,
                 current.metrics.at(key).value);
    rows = compare(baseline, current, th, scope);
  }
  return rows;
}

// The variants asked for (default: all four); an unknown name is printed and gives nothing.
std::optional<std::vector<std::string>> gate_variants(const GateOptions& o) {
  std::vector<std::string> variants = o.variants.empty() ? kAllVariants : split_csv(o.variants);
  for (const std::string& v : variants) {
    if (std::find(kAllVariants.begin(), kAllVariants.end(), v) == kAllVariants.end()) {
      fmt::print(stderr, "gate: --variants: unknown variant \"{}\" (known: malloc, arena, pool, zerocopy)\n", v);
      return std::nullopt;
    }
  }
  return variants;
}

// Against the baseline: refuse an incompatible one, run the A/B (live), compare, confirm a rise,
// then print the table and write the markdown report. The gate's exit code.
int compare_with_baseline(const GateOptions& o, const MeasureOptions& mo, const std::vector<std::string>& variants,
                          const Thresholds& th, GateDoc& current, bool live) {
  if (!fs::exists(o.baseline)) {
    fmt::print(stderr, "gate: no baseline at {}: run `wsbench gate --update-baseline` on this build first\n", o.baseline);
    return kGateHarnessError;
  }
  const GateDoc baseline = read_gate_doc(o.baseline);
  std::vector<std::string> warnings;
  if (auto why = incompatibility(baseline, current, warnings)) {
    fmt::print(stderr, "gate: refusing to compare with {}: {}\n", o.baseline, *why);
    return kGateHarnessError;
  }
  if (live && o.ab) current.ab = measure_ab(o, mo, baseline, th, warnings);
  for (const std::string& w : warnings) fmt::print(stderr, "gate: warning: {}\n", w);
  if (!o.save.empty()) write_gate_doc(current, o.save);

  CompareScope scope;
  scope.ab = o.ab;
  scope.exact = o.exact;
  if (!o.variants.empty() || !o.core) {
    scope.subjects.insert(variants.begin(), variants.end());
    if (o.core) scope.subjects.insert("core");
  }
  std::vector<MetricRow> rows = compare(baseline, current, th, scope);
  if (live && o.exact) rows = confirm_e2e_rise(mo, baseline, current, th, scope, std::move(rows));
  const std::string summary = summary_line(rows);
  const bool show_ab = o.ab && current.ab;
  fmt::print("{}\n{}\n{}", terminal_table(rows), show_ab ? ab_summary_line(*current.ab, th.ab) + "\n" : "", summary + "\n");
  if (!o.markdown.empty()) {
    std::ofstream md(o.markdown, std::ios::trunc);
    md << markdown_report(rows, warnings, summary, show_ab ? ab_markdown(*current.ab, th.ab) : "");
    if (!md) {
      fmt::print(stderr, "gate: write {} failed\n", o.markdown);
      return kGateHarnessError;
    }
  }
  if (live) fs::remove_all(mo.workdir);  // kept on a harness error: server logs, tool stderr
  return any_failure(rows) ? kGateRegression : kGatePass;
}

}  // namespace

// Phases: thresholds and variants, the current measurement (or the file given), then either a new
// baseline or the comparison with the one there.
int run_gate(const GateOptions& o) {
  try {
    const Thresholds th = load_thresholds(o.thresholds);
    const auto variants = gate_variants(o);
    if (!variants) return kGateHarnessError;
    MeasureOptions mo;
    mo.paths = o.paths;
    mo.variants = *variants;
    mo.core = o.core;
    mo.pin = o.pin;
    mo.workdir = fs::temp_directory_path() / fmt::format("wsalloc-gate-{}", ::getpid());
    fs::create_directories(mo.workdir);

    const bool live = o.from_results.empty();
    if (!o.exact && !o.ab) {
      fmt::print(stderr, "gate: --no-exact with --no-ab leaves nothing to do\n");
      return kGateHarnessError;
    }
    GateDoc current;
    if (!live) {
      current = read_gate_doc(o.from_results);
    } else if (o.exact || o.update_baseline) {
      current = measure_all(mo);
    } else {
      current.meta = baseline_compatible_meta(o);  // nothing exact measured: only the A/B below
    }
    if (o.update_baseline) {
      if (!live) {
        fmt::print(stderr, "gate: --update-baseline measures afresh; it does not take --from-results\n");
        return kGateHarnessError;
      }
      const int rc = update_baseline(o, current, th);
      fs::remove_all(mo.workdir);
      return rc;
    }
    return compare_with_baseline(o, mo, *variants, th, current, live);
  } catch (const std::exception& e) {
    fmt::print(stderr, "gate: harness error: {}\n", e.what());
    return kGateHarnessError;
  }
}

void add_gate_command(CLI::App& app) {
  auto o = std::make_shared<GateOptions>();
  CLI::App* cmd = app.add_subcommand("gate", "CI regression gate: allocations and instructions vs results/baseline.json, "
                                               "server CPU per message A/B against the base commit");
  cmd->add_option("--baseline", o->baseline, "baseline file (default <repo>/results/baseline.json)");
  cmd->add_flag("--update-baseline", o->update_baseline, "measure and write the baseline, print what changed");
  cmd->add_option("--thresholds", o->thresholds, "thresholds file (default harness/bench/gate/thresholds.toml)");
  cmd->add_option("--markdown", o->markdown, "also write the table as Markdown to this file");
  cmd->add_option("--from-results", o->from_results, "compare this measurement file instead of measuring");
  cmd->add_option("--save", o->save, "write the current measurement to this file");
  cmd->add_option("--variants", o->variants, "measure and compare only these variants (comma-separated)");
  cmd->add_flag("--no-core", [o](int64_t) { o->core = false; }, "skip the core-function workloads");
  cmd->add_flag("--no-ab,--no-throughput", [o](int64_t) { o->ab = false; }, "skip the A/B run against the base commit");
  cmd->add_flag("--no-exact", [o](int64_t) { o->exact = false; },
                "only the A/B run (no allocation or instruction counts)");
  cmd->add_option("--ab-base", o->ab_base, "A/B base revision (default: the commit results/baseline.json names, "
                                           "else the merge base with main); with --update-baseline, the commit the "
                                           "written baseline names as the A/B base");
  cmd->add_option("--ab-seed", o->ab_seed, "seed of the A/B block order and bootstrap (default: fresh, printed)");
  cmd->add_flag("--no-pin", [o](int64_t) { o->pin = false; }, "do not pin with taskset");
  cmd->callback([&app, o] {
    o->paths = default_paths();
    // wsbench's global path options, when the parent defines them.
    auto parent = [&app](const char* name) -> std::string {
      const CLI::Option* opt = app.get_option_no_throw(name);
      return opt && opt->count() ? opt->as<std::string>() : std::string();
    };
    if (std::string repo = parent("--repo"); !repo.empty()) {
      o->paths.repo_root = repo;
      o->paths.results_dir = o->paths.repo_root / "results";
    }
    if (std::string b = parent("--bin-dir"); !b.empty()) {
      o->paths.bin_dir = b;
      o->paths.lib_dir = o->paths.bin_dir.parent_path() / "lib";
    }
    if (o->baseline.empty()) o->baseline = (o->paths.results_dir / "baseline.json").string();
    if (o->thresholds.empty()) o->thresholds = default_thresholds_path();
    const int rc = run_gate(*o);
    std::fflush(stdout);
    std::exit(rc);
  });
}

}  // namespace wsalloc::bench::gate
