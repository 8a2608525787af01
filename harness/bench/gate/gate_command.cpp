#include "bench/gate/gate_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "bench/gate/gate_compare.hpp"
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

int update_baseline(const GateOptions& o, const GateDoc& current, const Thresholds& th) {
  if (!o.variants.empty() || !o.core || !o.throughput) {
    fmt::print(stderr, "gate: --update-baseline needs the full measurement (no --variants/--no-core/--no-throughput)\n");
    return kGateHarnessError;
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

}  // namespace

int run_gate(const GateOptions& o) {
  try {
    const Thresholds th = load_thresholds(o.thresholds);
    std::vector<std::string> variants = o.variants.empty() ? kAllVariants : split_csv(o.variants);
    for (const std::string& v : variants) {
      if (std::find(kAllVariants.begin(), kAllVariants.end(), v) == kAllVariants.end()) {
        fmt::print(stderr, "gate: --variants: unknown variant \"{}\" (known: malloc, arena, pool, zerocopy)\n", v);
        return kGateHarnessError;
      }
    }
    MeasureOptions mo;
    mo.paths = o.paths;
    mo.variants = variants;
    mo.core = o.core;
    mo.throughput = o.throughput;
    mo.pin = o.pin;
    mo.workdir = fs::temp_directory_path() / fmt::format("wsalloc-gate-{}", ::getpid());
    fs::create_directories(mo.workdir);

    const bool live = o.from_results.empty();
    GateDoc current = live ? measure_all(mo, th) : read_gate_doc(o.from_results);
    if (o.update_baseline) {
      if (!live) {
        fmt::print(stderr, "gate: --update-baseline measures afresh; it does not take --from-results\n");
        return kGateHarnessError;
      }
      const int rc = update_baseline(o, current, th);
      fs::remove_all(mo.workdir);
      return rc;
    }

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
    for (const std::string& w : warnings) fmt::print(stderr, "gate: warning: {}\n", w);

    // A large throughput loss counts only when a rerun of that comparison shows it again.
    if (live && th.throughput_confirm_by_rerun && o.throughput) {
      std::vector<std::string> rerun = {"malloc"};
      for (const std::string& key : throughput_losses(baseline, current, th)) rerun.push_back(current.metrics.at(key).subject);
      if (rerun.size() > 1) {
        fmt::print(stderr, "gate: throughput loss beyond {} % for {}; rerunning that comparison\n",
                   th.throughput_max_loss_pct, rerun.size() - 1);
        for (const auto& [v, ratio] : measure_throughput(mo, th, rerun, nullptr)) {
          current.throughput_rerun[metric_key(MetricKind::ThroughputRatio, v)] = ratio;
        }
      }
    }
    if (!o.save.empty()) write_gate_doc(current, o.save);

    CompareScope scope;
    scope.throughput = o.throughput;
    if (!o.variants.empty() || !o.core) {
      scope.subjects.insert(variants.begin(), variants.end());
      if (o.core) scope.subjects.insert("core");
    }
    const std::vector<MetricRow> rows = compare(baseline, current, th, scope);
    const std::string summary = summary_line(rows);
    fmt::print("{}\n{}\n", terminal_table(rows), summary);
    if (!o.markdown.empty()) {
      std::ofstream md(o.markdown, std::ios::trunc);
      md << markdown_report(rows, warnings, summary);
      if (!md) {
        fmt::print(stderr, "gate: write {} failed\n", o.markdown);
        return kGateHarnessError;
      }
    }
    if (live) fs::remove_all(mo.workdir);  // kept on a harness error: server logs, tool stderr
    return any_failure(rows) ? kGateRegression : kGatePass;
  } catch (const std::exception& e) {
    fmt::print(stderr, "gate: harness error: {}\n", e.what());
    return kGateHarnessError;
  }
}

void add_gate_command(CLI::App& app) {
  auto o = std::make_shared<GateOptions>();
  CLI::App* cmd = app.add_subcommand("gate", "CI regression gate: allocations, instructions, throughput vs results/baseline.json");
  cmd->add_option("--baseline", o->baseline, "baseline file (default <repo>/results/baseline.json)");
  cmd->add_flag("--update-baseline", o->update_baseline, "measure and write the baseline, print what changed");
  cmd->add_option("--thresholds", o->thresholds, "thresholds file (default harness/bench/gate/thresholds.toml)");
  cmd->add_option("--markdown", o->markdown, "also write the table as Markdown to this file");
  cmd->add_option("--from-results", o->from_results, "compare this measurement file instead of measuring");
  cmd->add_option("--save", o->save, "write the current measurement to this file");
  cmd->add_option("--variants", o->variants, "measure and compare only these variants (comma-separated)");
  cmd->add_flag("--no-core", [o](int64_t) { o->core = false; }, "skip the core-function workloads");
  cmd->add_flag("--no-throughput", [o](int64_t) { o->throughput = false; }, "skip the throughput ratios");
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
