#include "micro/instr_driver.hpp"

#include <fmt/core.h>
#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "micro/callgrind_bracket.hpp"
#include "micro/callgrind_out.hpp"
#include "micro/child_run.hpp"

namespace wsalloc::micro {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

uint64_t run_bracketed(const WorkloadSpec& spec, uint64_t n) {
  std::unique_ptr<Workload> w = spec.make();
  w->run(spec.warmup_iterations);
  {
    CountedRegion region;  // its requests add a constant few dozen instructions, once
    w->run(n);
  }
  return w->work_done();
}

namespace {

// A harness error: printed, then exit 2. Carries the operation and the offending value.
struct DriverError {
  std::string what;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last lines of a log, to show under an error without flooding the terminal.
std::string tail(const std::string& text, size_t lines) {
  size_t start = text.size();
  for (size_t seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && start != text.size() && ++seen == lines) break;
  }
  return text.empty() ? "(empty)" : text.substr(start);
}

json parse_json_file(const fs::path& p, const std::string& what) {
  try {
    return json::parse(read_text(p));
  } catch (const json::exception& e) {
    throw DriverError{fmt::format("{}: {} is not JSON ({})", what, p.string(), e.what())};
  }
}

struct Measured {
  uint64_t instructions = 0;
  uint64_t iterations = 0;
  double seconds = 0;
};

Measured measure_one(const DriverOptions& o, const fs::path& self, const fs::path& dir, const WorkloadSpec& spec) {
  const uint64_t n = o.iterations.value_or(spec.default_iterations);
  const fs::path out = dir / (spec.name + ".callgrind.out");
  const fs::path stdout_file = dir / (spec.name + ".json");
  const fs::path log = dir / (spec.name + ".valgrind.log");
  const std::vector<std::string> argv = {
      o.valgrind, "--tool=callgrind", "--collect-atstart=no", "--instr-atstart=no",
      "--callgrind-out-file=" + out.string(), self.string(), "--workloads", spec.name, "--iterations",
      std::to_string(n)};
  const auto t0 = std::chrono::steady_clock::now();
  const ChildStatus st = run_child(argv, stdout_file.string(), log.string());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) {
    throw DriverError{fmt::format("callgrind run of workload {}: {} {}; its log {} ends:\n{}", spec.name, o.valgrind,
                                  describe(st), log.string(), tail(read_text(log), 12))};
  }
  const json child = parse_json_file(stdout_file, "callgrind run of " + spec.name);
  const uint64_t ran = child.at(spec.name).at("iterations").get<uint64_t>();
  if (ran != n) throw DriverError{fmt::format("workload {}: ran {} iterations, asked for {}", spec.name, ran, n)};

  std::ifstream in(out);
  if (!in) throw DriverError{fmt::format("workload {}: no callgrind output file {}", spec.name, out.string())};
  const CallgrindTotal total = callgrind_total(in);
  if (total.status != CallgrindParse::Ok) {
    throw DriverError{fmt::format("workload {}: {}: {}", spec.name, out.string(), to_string(total.status))};
  }
  if (total.value == 0) {
    throw DriverError{fmt::format("workload {}: callgrind collected 0 instructions over {} iterations "
                                  "(were the CALLGRIND_* requests compiled in?)", spec.name, n)};
  }
  return {total.value, n, seconds};
}

json allocation_pass(const DriverOptions& o, const fs::path& self, const fs::path& dir) {
  const fs::path twin = self.parent_path() / "wsalloc-instr-allocs";
  std::string csv;
  for (const WorkloadSpec* s : o.workloads) csv += (csv.empty() ? "" : ",") + s->name;
  std::vector<std::string> argv = {twin.string(), "--workloads", csv};
  if (o.iterations) argv.insert(argv.end(), {"--iterations", std::to_string(*o.iterations)});
  const fs::path out = dir / "allocations.json", log = dir / "allocations.log";
  const ChildStatus st = run_child(argv, out.string(), log.string());
  if (!st.ok()) {
    throw DriverError{fmt::format("allocation pass {}: {}; stderr ends:\n{}", twin.string(), describe(st),
                                  tail(read_text(log), 12))};
  }
  return parse_json_file(out, "allocation pass");
}

fs::path make_work_dir(const DriverOptions& o) {
  if (!o.keep_dir.empty()) {
    fs::create_directories(o.keep_dir);
    return fs::absolute(o.keep_dir);
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = (fs::path(tmp && *tmp ? tmp : "/tmp") / "wsalloc-instr.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw DriverError{fmt::format("mkdtemp({}): {}", pattern, std::strerror(errno))};
  }
  return pattern;
}

}  // namespace

int run_callgrind_pass(const DriverOptions& o) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  fmt::print(stderr, "wsalloc-instr: --run-callgrind needs a build without sanitizers: valgrind cannot run an "
                     "ASan/TSan binary, and their instrumentation would be counted\n");
  return kExitHarnessError;
#endif
  fs::path dir;
  try {
    dir = make_work_dir(o);
    const fs::path self = fs::read_symlink("/proc/self/exe");
    ordered_json result = ordered_json::object();
    double total_seconds = 0;
    for (const WorkloadSpec* spec : o.workloads) {
      const Measured m = measure_one(o, self, dir, *spec);
      total_seconds += m.seconds;
      fmt::print(stderr, "callgrind {:<24} {:>8} iterations {:>14.2f} Ir/iteration {:6.2f} s\n", spec->name,
                 m.iterations, double(m.instructions) / double(m.iterations), m.seconds);
      result[spec->name] = {{"instructions_total", m.instructions},
                            {"iterations", m.iterations},
                            {"instructions_per_iteration", double(m.instructions) / double(m.iterations)}};
    }
    fmt::print(stderr, "callgrind pass: {} workloads in {:.1f} s\n", o.workloads.size(), total_seconds);

    const json allocs = allocation_pass(o, self, dir);
    for (const WorkloadSpec* spec : o.workloads) {
      const json& a = allocs.at(spec->name);
      ordered_json& r = result[spec->name];
      r["allocations_per_iteration"] = a.at("allocations_per_iteration");
      r["bytes_allocated_per_iteration"] = a.at("bytes_per_iteration");
      r["allocation_iterations"] = a.at("iterations");
    }
    fmt::print("{}\n", result.dump(2));
  } catch (const DriverError& e) {
    fmt::print(stderr, "wsalloc-instr: {}\n", e.what);
    if (o.keep_dir.empty() && !dir.empty()) fmt::print(stderr, "wsalloc-instr: files kept in {}\n", dir.string());
    return kExitHarnessError;
  } catch (const std::exception& e) {  // filesystem errors, missing JSON keys
    fmt::print(stderr, "wsalloc-instr: {}\n", e.what());
    return kExitHarnessError;
  }
  if (o.keep_dir.empty()) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  return kExitOk;
}

}  // namespace wsalloc::micro
