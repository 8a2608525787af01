#include "bench/instr_step.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/child_process.hpp"
#include "bench/instr_counts.hpp"
#include "bench/tool_run.hpp"
#include "bench/text_trim.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

json section(const char* status, const std::string& reason) {
  return {{"status", status},
          {"reason", reason.empty() ? json(nullptr) : json(reason)},
          {"tool", "wsalloc-instr --run-callgrind"},
          {"command", nullptr},
          {"valgrind", nullptr},
          {"seconds", nullptr},
          {"exact", true},
          {"workloads", json::array()}};
}

// valgrind as a path: itself when executable; a bare name: looked up on PATH.
std::optional<std::string> resolve_valgrind(const std::string& v) {
  if (v.find('/') != std::string::npos) return ::access(v.c_str(), X_OK) == 0 ? std::optional(v) : std::nullopt;
  return find_on_path(v);
}

// "valgrind-3.19.0", or null when it does not say.
json valgrind_version(const std::string& valgrind, const std::filesystem::path& workdir) {
  ToolResult r = run_tool({valgrind, "--version"}, 10s, workdir, "valgrind-version");
  std::string v = trim(r.out);
  return r.status.ok() && !v.empty() ? json(v) : json(nullptr);
}

json count_to_json(const InstrCount& c) {
  return {{"workload", c.workload},
          {"subject", c.subject},
          {"name", c.name},
          {"per", c.per},
          {"unit", "instructions/" + c.per},
          {"instructions_per_iteration", c.instructions_per_iteration},
          {"allocations_per_iteration", c.allocations_per_iteration},
          {"bytes_allocated_per_iteration", c.bytes_allocated_per_iteration},
          {"iterations", c.iterations}};
}

}  // namespace

InstrStepOptions default_instr_step(const BenchPaths& paths, const std::filesystem::path& workdir) {
  InstrStepOptions o;
  o.instr_program = paths.bin_dir / "wsalloc-instr";
  o.workdir = workdir;
  return o;
}

json skipped_instr_section(const std::string& reason) { return section("skipped", reason); }

json run_instr_step(const InstrStepOptions& o) {
  if (::access(o.instr_program.c_str(), X_OK) != 0) {
    return section("skipped", fmt::format("{} missing: build the CMake target wsalloc-instr (needs valgrind/callgrind.h)",
                                          o.instr_program.string()));
  }
  const std::optional<std::string> valgrind = resolve_valgrind(o.valgrind);
  if (!valgrind) return section("skipped", fmt::format("{} not found: install Debian's valgrind", o.valgrind));

  InstrRunSpec spec;
  spec.program = o.instr_program;
  spec.workdir = o.workdir;
  spec.core = false;  // the pipelines only: see instr_step.hpp
  spec.valgrind = *valgrind;
  json out = section("measured", "");
  out["valgrind"] = valgrind_version(*valgrind, o.workdir);
  out["command"] = fmt::format("{} --run-callgrind --workloads <the {} variants' pipelines> --valgrind {}",
                               o.instr_program.string(), fmt::join(spec.variants, ", "), *valgrind);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    for (const InstrCount& c : run_instr_counts(spec)) out["workloads"].push_back(count_to_json(c));
    if (out["workloads"].empty()) {
      out["status"] = "failed";
      out["reason"] = "wsalloc-instr --list named no variant pipeline workload";
    }
  } catch (const InstrCountError& e) {
    out["status"] = "failed";
    out["reason"] = e.what();
  }
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

std::string render_instr_summary(const json& s) {
  if (!s.is_object()) return "";
  const std::string status = s.value("status", "");
  if (status != "measured") {
    return fmt::format("\ninstructions per message (callgrind): {} — {}\n", status,
                       s.contains("reason") && s["reason"].is_string() ? s["reason"].get<std::string>() : "no reason given");
  }
  // workload -> variant -> count, in the order the program listed them.
  std::vector<std::string> shapes, variants;
  std::map<std::pair<std::string, std::string>, const json*> cell;
  for (const json& w : s["workloads"]) {
    const std::string shape = w.value("workload", ""), v = w.value("subject", "");
    if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
    if (std::find(variants.begin(), variants.end(), v) == variants.end()) variants.push_back(v);
    cell[{shape, v}] = &w;
  }
  // malloc first: the reference column.
  std::stable_partition(variants.begin(), variants.end(), [](const std::string& v) { return v == "malloc"; });
  std::string out = fmt::format("\ninstructions per message (callgrind, exact; {}, {:.1f} s); each cell: instructions/msg "
                                "×malloc allocations/msg\n",
                                s["valgrind"].is_string() ? s["valgrind"].get<std::string>() : "valgrind",
                                s.value("seconds", 0.0));
  out += fmt::format("{:<16}", "workload");
  for (const std::string& v : variants) out += fmt::format(" {:>24}", v);
  out += "\n";
  for (const std::string& shape : shapes) {
    out += fmt::format("{:<16}", shape);
    const json* ref = cell.count({shape, "malloc"}) ? cell[{shape, "malloc"}] : nullptr;
    for (const std::string& v : variants) {
      if (!cell.count({shape, v})) {
        out += fmt::format(" {:>24}", "-");
        continue;
      }
      const json& w = *cell[{shape, v}];
      const double ir = w["instructions_per_iteration"].get<double>();
      const double ref_ir = ref ? (*ref)["instructions_per_iteration"].get<double>() : 0;
      const std::string ratio = ref_ir > 0 ? fmt::format("×{:.2f}", ir / ref_ir) : "";
      out += fmt::format(" {:>24}", fmt::format("{:.0f} {} {:g}", ir, ratio, w["allocations_per_iteration"].get<double>()));
    }
    out += "\n";
  }
  return out;
}

}  // namespace wsalloc::bench
