#include "bench/server_launch.hpp"

#include <signal.h>

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

uint16_t parse_listening_port(const std::string& text) {
  static const std::regex re(R"(listening on (\S+):(\d+))");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return 0;
  unsigned long v = std::stoul(m[2].str());
  return v > 0 && v <= 65535 ? static_cast<uint16_t>(v) : 0;
}

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

std::variant<RunningServer, LaunchFailure> launch_server(const LaunchSpec& spec) {
  const Target& t = *spec.target;
  std::error_code ec;
  fs::create_directories(spec.workdir, ec);

  uint16_t fixed_port = 0;
  if (t.readiness == Readiness::ConnectPoll) {
    auto p = pick_free_port(spec.host);
    if (!p) return LaunchFailure{fmt::format("no free port on {}", spec.host), ""};
    fixed_port = *p;
  }

  SpawnSpec s;
  if (spec.cpu >= 0) {
    s.argv = {"taskset", "-c", std::to_string(spec.cpu)};
  }
  s.argv.insert(s.argv.end(), spec.wrapper.begin(), spec.wrapper.end());
  for (std::string& a : target_argv(t, spec.host, fixed_port)) s.argv.push_back(std::move(a));
  s.argv.insert(s.argv.end(), spec.extra_args.begin(), spec.extra_args.end());
  std::vector<std::string> preload = spec.preload_first;
  preload.insert(preload.end(), t.preload.begin(), t.preload.end());
  s.env = spec.env;
  if (!preload.empty()) {
    std::string joined;
    for (const std::string& p : preload) joined += (joined.empty() ? "" : ":") + p;
    s.env.emplace_back("LD_PRELOAD", joined);
  }
  s.stdout_path = (spec.workdir / (spec.file_tag + ".stdout")).string();
  s.stderr_path = (spec.workdir / (spec.file_tag + ".stderr")).string();

  RunningServer r;
  r.command = format_command(s.env, s.argv);
  r.stdout_path = s.stdout_path;
  r.stderr_path = s.stderr_path;
  try {
    r.child = ChildProcess::spawn(s);
  } catch (const std::exception& e) {
    return LaunchFailure{e.what(), r.command};
  }

  const auto deadline = std::chrono::steady_clock::now() + spec.ready_timeout;
  while (true) {
    if (t.readiness == Readiness::ListeningLine) {
      r.port = parse_listening_port(slurp(r.stdout_path));
      if (r.port != 0) break;
    } else if (tcp_connectable(spec.host, fixed_port, std::chrono::milliseconds(50))) {
      r.port = fixed_port;
      break;
    }
    if (r.child.poll()) {
      std::string why = last_line(file_tail(r.stderr_path));
      return LaunchFailure{fmt::format("server {} before it was ready{}{}", r.child.status()->describe(),
                                       why.empty() ? "" : ": ", why),
                           r.command};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      r.child.terminate(std::chrono::milliseconds(500));
      return LaunchFailure{fmt::format("server not ready within {} ms (no \"listening on\" line)", spec.ready_timeout.count()),
                           r.command};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  r.server_pid = r.child.pid();
  if (!spec.wrapper.empty()) {
    // The program itself, resolved the way exec resolves it.
    const std::string prog = find_on_path(t.argv.at(0)).value_or(t.argv.at(0));
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
    // The server itself gets SIGTERM (under a wrapper, the wrapper then sees it exit and finishes).
    if (s.server_pid > 0) ::kill(s.server_pid, SIGTERM);
    if (!s.child.wait_for(grace)) {
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
