#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace wsalloc::test {
namespace {

using Clock = std::chrono::steady_clock;
// Polling period while waiting for the ready line or for exit: short next to any timeout used.
constexpr auto kPollPeriod = std::chrono::milliseconds(5);

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// `listening on H:P`, P after the last ':' (H may be an IPv6 address).
bool parse_ready_line(const std::string& line, uint16_t& port) {
  constexpr std::string_view kPrefix = "listening on ";
  if (line.rfind(kPrefix, 0) != 0) return false;
  auto colon = line.rfind(':');
  if (colon == std::string::npos || colon < kPrefix.size()) return false;
  unsigned v = 0;
  const char* first = line.data() + colon + 1;
  const char* last = line.data() + line.size();
  auto [p, ec] = std::from_chars(first, last, v);
  if (ec != std::errc{} || p != last || v == 0 || v > 65535) return false;
  port = uint16_t(v);
  return true;
}

}  // namespace

ServerProcess::~ServerProcess() {
  kill_and_reap();
  if (!stdout_path_.empty()) ::unlink(stdout_path_.c_str());
}

ServerProcess::StartResult ServerProcess::start(const std::vector<std::string>& argv_in,
                                                std::chrono::milliseconds ready_timeout) {
  std::vector<std::string> args = argv_in;
  for (const char* a : {"--host", "127.0.0.1", "--port", "0"}) args.emplace_back(a);
  for (const auto& a : args) command_ += (command_.empty() ? "" : " ") + a;
  if (argv_in.empty()) {
    error_ = "start: empty server command line";
    return StartResult::SpawnFailed;
  }

  char path_template[] = "/tmp/wsalloc-server-stdout-XXXXXX";
  int out_fd = ::mkostemp(path_template, O_CLOEXEC);
  if (out_fd < 0) {
    error_ = std::string("mkostemp: ") + std::strerror(errno);
    return StartResult::SpawnFailed;
  }
  stdout_path_ = path_template;

  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);  // dup2 drops O_CLOEXEC
  // The test process may block or ignore signals (gtest, the harness); the server must see SIGTERM.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, cargv[0], &actions, &attr, cargv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  if (rc != 0) {
    error_ = "posix_spawn(" + command_ + "): " + std::strerror(rc);
    return StartResult::SpawnFailed;
  }
  pid_ = pid;

  const auto deadline = Clock::now() + ready_timeout;
  for (;;) {
    std::string out = read_file(stdout_path_);
    if (auto nl = out.find('\n'); nl != std::string::npos) {
      ready_line_ = out.substr(0, nl);
      if (!parse_ready_line(ready_line_, port_)) {
        error_ = "ready line of `" + command_ + "` is '" + ready_line_ +
                 "', expected 'listening on H:P' with P in 1..65535";
        return StartResult::MalformedReadyLine;
      }
      return StartResult::Ready;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "`" + command_ + "` ended before its ready line (" +
               (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                  : "signal " + std::to_string(WTERMSIG(status))) +
               "); stdout so far: '" + out + "'";
      return StartResult::ExitedBeforeReady;
    }
    if (Clock::now() >= deadline) {
      error_ = "no ready line from `" + command_ + "` within " +
               std::to_string(ready_timeout.count()) + " ms; stdout so far: '" + out + "'";
      return StartResult::TimedOut;
    }
    std::this_thread::sleep_for(kPollPeriod);
  }
}

ServerProcess::StopResult ServerProcess::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return StopResult::NotRunning;
  terminate();
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) {
        exit_code_ = WEXITSTATUS(status);
        return StopResult::Exited;
      }
      term_signal_ = WTERMSIG(status);
      error_ = "`" + command_ + "` died of signal " + std::to_string(term_signal_) + " after SIGTERM";
      return StopResult::Signalled;
    }
    if (r < 0 && errno != EINTR) {
      error_ = std::string("waitpid: ") + std::strerror(errno);
      pid_ = -1;
      return StopResult::NotRunning;
    }
    if (Clock::now() >= deadline) {
      kill_and_reap();
      error_ = "`" + command_ + "` still running " + std::to_string(timeout.count()) +
               " ms after SIGTERM; SIGKILLed";
      return StopResult::KilledAfterTimeout;
    }
    std::this_thread::sleep_for(kPollPeriod);
  }
}

void ServerProcess::terminate() noexcept {
  // A second SIGTERM would test a different thing (impatient shutdown); send exactly one.
  if (pid_ <= 0 || sigterm_sent_) return;
  sigterm_sent_ = true;
  ::kill(pid_, SIGTERM);
}

void ServerProcess::kill_and_reap() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

const char* to_string(ServerProcess::StartResult r) noexcept {
  switch (r) {
    case ServerProcess::StartResult::Ready: return "Ready";
    case ServerProcess::StartResult::SpawnFailed: return "SpawnFailed";
    case ServerProcess::StartResult::ExitedBeforeReady: return "ExitedBeforeReady";
    case ServerProcess::StartResult::TimedOut: return "TimedOut";
    case ServerProcess::StartResult::MalformedReadyLine: return "MalformedReadyLine";
  }
  return "?";
}

const char* to_string(ServerProcess::StopResult r) noexcept {
  switch (r) {
    case ServerProcess::StopResult::Exited: return "Exited";
    case ServerProcess::StopResult::Signalled: return "Signalled";
    case ServerProcess::StopResult::KilledAfterTimeout: return "KilledAfterTimeout";
    case ServerProcess::StopResult::NotRunning: return "NotRunning";
  }
  return "?";
}

}  // namespace wsalloc::test
