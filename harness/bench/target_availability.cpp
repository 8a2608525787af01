#include "bench/target_availability.hpp"

#include <unistd.h>

#include <filesystem>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "bench/child_process.hpp"
#include "bench/placeholders.hpp"
#include "bench/program_linkage.hpp"
#include "bench/server_launch.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {
namespace {

constexpr auto kVersionTimeout = std::chrono::milliseconds(5000);

bool executable(const fs::path& p) {
  std::error_code ec;
  return ::access(p.c_str(), X_OK) == 0 && fs::is_regular_file(p, ec);
}

std::string with_hint(std::string what, const std::string& hint) { return hint.empty() ? what : what + ": " + hint; }

// The program itself (resolved on PATH), or why it cannot be found.
std::optional<std::string> resolve_program(Target& t, const std::string& hint) {
  const std::string& prog = t.argv.front();
  if (prog.find('/') != std::string::npos) {
    if (executable(prog)) return prog;
    t.reason = with_hint(fmt::format("{} missing", prog), hint);
  } else if (auto found = find_on_path(prog)) {
    return found;
  } else {
    t.reason = with_hint(fmt::format("{} not on PATH", prog), hint);
  }
  t.available = false;
  return std::nullopt;
}

void mark_invisible(Target& t, const std::string& why) {
  if (t.counter == CounterCoverage::Incompatible) return;  // not counted anyway, for its own reason
  t.counter = CounterCoverage::Invisible;
  t.counter_note = "not counted: " + why;
}

void detect_counter_coverage(TargetDefinition& def, const std::string& program) {
  Target& t = def.target;
  std::string path = program;
  ProgramInfo info = inspect_program(path);
  if (info.linkage == ProgramLinkage::Script) {
    path = info.interpreter.find('/') != std::string::npos ? info.interpreter : find_on_path(info.interpreter).value_or("");
    info = path.empty() ? ProgramInfo{} : inspect_program(path);
  }
  switch (info.linkage) {
    case ProgramLinkage::StaticElf:
      mark_invisible(t, fmt::format("{} is statically linked (LD_PRELOAD never reaches its malloc)", path));
      return;
    case ProgramLinkage::GoElf:
      mark_invisible(t, fmt::format("{} is a Go program (its runtime takes memory from mmap, not malloc)", path));
      return;
    default:
      break;
  }
  if (!def.counter_declared && fs::path(path).filename() == "java") {
    t.counter = CounterCoverage::LibcOnly;
    t.counter_note = "partial: the JVM manages the Java heap itself; only native malloc calls are seen";
  }
}

}  // namespace

void check_availability(TargetDefinition& def) {
  Target& t = def.target;
  if (t.argv.empty()) {
    t.available = false;
    t.reason = "no command";
    return;
  }
  // A program named by a start-time placeholder cannot be checked before it starts.
  for (const std::string& p : start_time_placeholders()) {
    if (uses_placeholder(t.argv.front(), p)) return;
  }
  auto program = resolve_program(t, def.program_hint);
  if (!program) return;
  for (const auto& [path, hint] : def.required_files) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      t.available = false;
      t.reason = with_hint(fmt::format("{} missing", path), hint);
      return;
    }
  }
  for (const std::string& lib : t.preload) {
    std::error_code ec;
    if (!fs::exists(lib, ec)) {
      t.available = false;
      t.reason = fmt::format("{} missing (LD_PRELOAD)", lib);
      return;
    }
  }
  if (!def.version_args.empty()) {
    std::vector<std::string> argv = {*program};
    argv.insert(argv.end(), def.version_args.begin(), def.version_args.end());
    auto [st, text] = run_capture(argv, kVersionTimeout);
    if (!st.ok()) {
      t.available = false;
      t.reason = fmt::format("{}: {}", fmt::join(argv, " "), st.describe());
      return;
    }
    t.version = last_line(text);
    if (!t.version.empty()) t.description += " " + t.version;
  }
  detect_counter_coverage(def, *program);
}

}  // namespace wsalloc::bench
