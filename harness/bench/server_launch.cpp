#include "bench/server_launch.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/core.h>

#include "bench/probe_client.hpp"

namespace fs = std::filesystem;

namespace wsalloc::bench {
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

// The descendant of `root` (or root itself) running `exe`, if any. A wrapper such as heaptrack
// forks the real server; it is found by its executable, not by its name.
pid_t find_descendant_running(pid_t root, const fs::path& exe) {
  std::error_code ec;
  const fs::path want = fs::canonical(exe, ec);
  if (ec) return -1;
  std::set<pid_t> family{root};
  // Two passes catch a grandchild listed before its parent.
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(name));
      if (family.count(parent_of(pid))) family.insert(pid);
    }
  }
  for (pid_t pid : family) {
    std::error_code e2;
    fs::path exe_of = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", e2);
    if (!e2 && exe_of == want) return pid;
  }
  return -1;
}

}  // namespace

std::string file_tail(const fs::path& p, size_t max_bytes) {
  std::string s = slurp(p);
  if (s.size() > max_bytes) {
    s = s.substr(s.size() - max_bytes);
    size_t nl = s.find('\n');
    if (nl != std::string::npos) s = s.substr(nl + 1);
  }
  return s;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

std::string last_lines(const std::string& text, size_t n) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty()) continue;
    lines.push_back(std::move(line));
    if (lines.size() > n) lines.erase(lines.begin());
  }
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : " | ") + fmt::format("\"{}\"", l);
  return out;
}

namespace {

// taskset's list syntax: the CPU it is pinned to, or every online CPU when it is not pinned.
std::string cpu_list(int cpu) {
  if (cpu >= 0) return std::to_string(cpu);
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 1 ? fmt::format("0-{}", n - 1) : "0";
}

// Ready by line: a complete line matching the pattern (each line on its own, so ^ and $ anchor to
// it; the process library judges only complete lines, as an unfinished one could still be growing
// its port number). The port from the pattern's capture group, or the one wsbench chose; 0 when
// the line does not match or its port is not one.
uint16_t port_of_line(const Target& t, const std::regex& re, const std::string& line, uint16_t chosen) {
  std::smatch m;
  if (!std::regex_search(line, m, re)) return 0;
  if (!t.ready.port_group) return chosen;
  unsigned long v = 0;
  try {
    v = std::stoul(m[1].str());
  } catch (const std::exception&) {
    return 0;
  }
  return v > 0 && v <= 65535 ? static_cast<uint16_t>(v) : 0;
}

// taskset, wrapper, the program with its arguments and the case's; the target's environment, the
// caller's, and LD_PRELOAD with the caller's entries (the counter) first.
SpawnSpec spawn_spec(const LaunchSpec& spec, const std::vector<std::string>& program_argv,
                     std::vector<std::pair<std::string, std::string>> env) {
  SpawnSpec s;
  if (spec.cpu >= 0) s.argv = {"taskset", "-c", std::to_string(spec.cpu)};
  s.argv.insert(s.argv.end(), spec.wrapper.begin(), spec.wrapper.end());
  s.argv.insert(s.argv.end(), program_argv.begin(), program_argv.end());
  s.argv.insert(s.argv.end(), spec.extra_args.begin(), spec.extra_args.end());
  std::vector<std::string> preload = spec.preload_first;
  preload.insert(preload.end(), spec.target->preload.begin(), spec.target->preload.end());
  s.env = std::move(env);
  s.env.insert(s.env.end(), spec.env.begin(), spec.env.end());
  if (!preload.empty()) {
    std::string joined;
    for (const std::string& p : preload) joined += (joined.empty() ? "" : ":") + p;
    s.env.emplace_back("LD_PRELOAD", joined);
  }
  s.stdout_path = (spec.workdir / (spec.file_tag + ".stdout")).string();
  s.stderr_path = (spec.workdir / (spec.file_tag + ".stderr")).string();
  return s;
}

std::string not_ready_reason(const Target& t, std::chrono::milliseconds timeout, const RunningServer& r, uint16_t chosen) {
  const std::string what = t.ready.by == ReadyBy::Line
                               ? fmt::format("no line on its {} matched '{}'", t.ready.on_stderr ? "stderr" : "stdout", t.ready.pattern)
                               : fmt::format("port {} never accepted a connection", chosen);
  const std::string out = last_lines(file_tail(r.stdout_path), 5), err = last_lines(file_tail(r.stderr_path), 5);
  std::string printed = "it printed nothing";
  if (!out.empty() || !err.empty()) {
    printed = "its last lines: ";
    if (!out.empty()) printed += "stdout " + out;
    if (!err.empty()) printed += (out.empty() ? "" : "; ") + std::string("stderr ") + err;
  }
  return fmt::format("server not ready within {} ms ({}); {}", timeout.count(), what, printed);
}

LaunchFailure exited_before_ready(const RunningServer& r) {
  std::string why = last_lines(file_tail(r.stderr_path), 3);
  if (why.empty()) why = last_lines(file_tail(r.stdout_path), 3);
  return LaunchFailure{
      fmt::format("server {} before it was ready{}{}", r.child.status()->describe(), why.empty() ? "" : ": ", why),
      r.command};
}

// Waits for the target's ready rule and sets r.port; the failure (the server then stopped) when it
// exits first or stays silent past `timeout`. A ready line is waited for by the process library;
// ready-by-port polls the chosen port.
std::optional<LaunchFailure> wait_until_ready(const LaunchSpec& spec, const std::optional<std::regex>& ready_line,
                                              uint16_t chosen_port, std::chrono::milliseconds timeout,
                                              RunningServer& r) {
  const Target& t = *spec.target;
  if (ready_line) {
    auto accept = [&](const std::string& line) { return (r.port = port_of_line(t, *ready_line, line, chosen_port)) != 0; };
    const process::LineSource source{(t.ready.on_stderr ? r.stderr_path : r.stdout_path).string()};
    switch (process::wait_for_line(r.child, source, accept, timeout).outcome) {
      case process::LineWait::Found: return std::nullopt;
      case process::LineWait::Exited: return exited_before_ready(r);
      case process::LineWait::Rejected:  // not asked for: every line is judged
      case process::LineWait::TimedOut: break;
    }
  } else {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (tcp_connectable(spec.host, chosen_port, std::chrono::milliseconds(50))) {
        r.port = chosen_port;
        return std::nullopt;
      }
      if (r.child.poll()) return exited_before_ready(r);
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  r.child.terminate(std::chrono::milliseconds(500));
  return LaunchFailure{not_ready_reason(t, timeout, r, chosen_port), r.command};
}

}  // namespace

std::variant<RunningServer, LaunchFailure> launch_server(const LaunchSpec& spec) {
  const Target& t = *spec.target;
  std::error_code ec;
  fs::create_directories(spec.workdir, ec);

  // wsbench chooses the port unless the ready line reports the one the server chose ({port} = 0).
  uint16_t chosen_port = 0;
  if (!t.ready.port_group) {
    auto p = pick_free_port(spec.host);
    if (!p) return LaunchFailure{fmt::format("no free port on {}", spec.host), ""};
    chosen_port = *p;
  }
  const StartValues values{spec.host, chosen_port, cpu_list(spec.cpu)};
  const std::vector<std::string> program_argv = target_argv(t, values);
  const SpawnSpec s = spawn_spec(spec, program_argv, target_env(t, values));

  RunningServer r;
  r.command = format_command(s.env, s.argv);
  r.stdout_path = s.stdout_path;
  r.stderr_path = s.stderr_path;
  r.stop_signal = t.stop_signal;
  r.stop_grace = t.stop_grace;
  std::optional<std::regex> ready_line;
  try {
    if (t.ready.by == ReadyBy::Line) ready_line.emplace(t.ready.pattern);
  } catch (const std::regex_error& e) {
    return LaunchFailure{fmt::format("ready pattern '{}': {}", t.ready.pattern, e.what()), r.command};
  }
  try {
    r.child = ChildProcess::spawn(s);
  } catch (const std::exception& e) {
    return LaunchFailure{e.what(), r.command};
  }

  const std::chrono::milliseconds timeout = spec.ready_timeout.value_or(t.ready.timeout);
  if (auto failure = wait_until_ready(spec, ready_line, chosen_port, timeout, r)) return *failure;

  r.server_pid = r.child.pid();
  if (!spec.wrapper.empty()) {
    // The program itself, resolved the way exec resolves it.
    const std::string prog = find_on_path(program_argv.at(0)).value_or(program_argv.at(0));
    r.server_pid = find_descendant_running(r.child.pid(), prog);
    if (r.server_pid < 0) {
      r.child.terminate(std::chrono::milliseconds(2000));
      return LaunchFailure{fmt::format("cannot find the server process ({}) under the wrapper", prog), r.command};
    }
  }
  return r;
}

StopOutcome stop_server(RunningServer& s, std::chrono::milliseconds grace) {
  StopOutcome out;
  if (s.child.running() && !s.child.poll()) {
    // The server itself gets its stop signal (under a wrapper, the wrapper then sees it exit and
    // finishes).
    if (s.server_pid > 0) ::kill(s.server_pid, s.stop_signal);
    if (!s.child.wait_for(s.stop_grace.value_or(grace))) {
      out.status = s.child.terminate(std::chrono::milliseconds(1000));
      out.clean = false;
    } else {
      out.status = *s.child.status();
      out.clean = out.status.ok();
    }
  } else {
    out.status = *s.child.status();
  }
  out.stderr_tail = file_tail(s.stderr_path);
  return out;
}

}  // namespace wsalloc::bench
