#include "bench/instr_counts.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "bench/tool_run.hpp"

namespace wsalloc::bench {
namespace {

using namespace std::chrono_literals;

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

[[noreturn]] void tool_failed(const std::string& what, const ToolResult& r) { throw InstrCountError(describe_failure(what, r)); }

bool narrowed(const InstrRunSpec& s) { return !s.core || s.variants != kVariantNames || !s.shapes.empty(); }

bool wanted(const InstrRunSpec& s, const std::string& name) {
  const auto [subject, workload] = split_instr_workload(name);
  if (subject == "core") return s.core;
  return contains(s.variants, subject) && (s.shapes.empty() || contains(s.shapes, workload));
}

}  // namespace

std::pair<std::string, std::string> split_instr_workload(const std::string& name) {
  for (const std::string& v : kVariantNames) {
    const std::string suffix = "_" + v;
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return {v, name.substr(0, name.size() - suffix.size())};
    }
  }
  return {"core", name};
}

std::vector<InstrCount> parse_instr_output(const std::string& text) {
  // Ordered: the program's order (core first, then each shape's four variants) is the report's.
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw InstrCountError(fmt::format("wsalloc-instr --run-callgrind: output is not a JSON object: \"{}\"",
                                      text.substr(0, 200)));
  }
  std::vector<InstrCount> out;
  for (const auto& [name, w] : j.items()) {
    for (const char* field : {"instructions_per_iteration", "allocations_per_iteration", "bytes_allocated_per_iteration"}) {
      if (!w.contains(field) || !w[field].is_number()) {
        throw InstrCountError(fmt::format("wsalloc-instr: workload {}: no number for {}", name, field));
      }
    }
    InstrCount c;
    c.name = name;
    std::tie(c.subject, c.workload) = split_instr_workload(name);
    c.per = c.subject == "core" ? "call" : "message";
    c.instructions_per_iteration = w["instructions_per_iteration"].get<double>();
    c.allocations_per_iteration = w["allocations_per_iteration"].get<double>();
    c.bytes_allocated_per_iteration = w["bytes_allocated_per_iteration"].get<double>();
    c.iterations = w.contains("iterations") && w["iterations"].is_number_unsigned() ? w["iterations"].get<uint64_t>() : 0;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<InstrCount> run_instr_counts(const InstrRunSpec& spec) {
  const std::string program = spec.program.string();
  std::vector<std::string> argv = {program, "--run-callgrind"};
  if (narrowed(spec)) {
    ToolResult list = run_tool({program, "--list"}, 10s, spec.workdir, "instr-list");
    if (!list.status.ok()) tool_failed("wsalloc-instr --list", list);
    std::vector<std::string> names;
    std::istringstream in(list.out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && wanted(spec, line)) names.push_back(line);
    }
    if (names.empty()) return {};
    argv.push_back("--workloads");
    argv.push_back(fmt::format("{}", fmt::join(names, ",")));
  }
  if (spec.iterations) {
    argv.push_back("--iterations");
    argv.push_back(std::to_string(*spec.iterations));
  }
  if (!spec.valgrind.empty()) {
    argv.push_back("--valgrind");
    argv.push_back(spec.valgrind);
  }
  ToolResult r = run_tool(argv, spec.timeout, spec.workdir, "instr");
  if (!r.status.ok()) tool_failed("wsalloc-instr --run-callgrind", r);
  return parse_instr_output(r.out);
}

}  // namespace wsalloc::bench
