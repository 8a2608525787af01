#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "process/ready_line.hpp"

namespace wsalloc::test {
namespace {

// After SIGKILL a child is gone within milliseconds; this only bounds a wait that cannot hang.
constexpr auto kReapAfterKill = std::chrono::seconds(10);

}  // namespace

ServerProcess::~ServerProcess() {
  // ChildProcess's destructor SIGKILLs and reaps a child still running.
  child_ = process::ChildProcess();
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
  if (!process::find_on_path(argv_in[0])) {
    error_ = "start(" + command_ + "): " + argv_in[0] + " is not an executable file";
    return StartResult::SpawnFailed;
  }

  char path_template[] = "/tmp/wsalloc-server-stdout-XXXXXX";
  int out_fd = ::mkostemp(path_template, O_CLOEXEC);
  if (out_fd < 0) {
    error_ = std::string("mkostemp: ") + std::strerror(errno);
    return StartResult::SpawnFailed;
  }
  ::close(out_fd);
  stdout_path_ = path_template;

  process::SpawnSpec spec;
  spec.argv = args;
  spec.stdout_path = stdout_path_;
  spec.stderr_inherit = true;
  // The test process may block or ignore signals (gtest, the harness); the server must see SIGTERM.
  spec.default_signals = true;
  try {
    child_ = process::ChildProcess::spawn(spec);
  } catch (const std::exception& e) {
    error_ = "spawn(" + command_ + "): " + e.what();
    return StartResult::SpawnFailed;
  }

  auto is_ready = [](const std::string& line) { return process::port_of_ready_line(line).has_value(); };
  const process::LineWaitResult r =
      process::wait_for_line(child_, {stdout_path_}, is_ready, ready_timeout, /*first_line_only=*/true);
  switch (r.outcome) {
    case process::LineWait::Found:
      ready_line_ = r.line;
      port_ = *process::port_of_ready_line(r.line);
      return StartResult::Ready;
    case process::LineWait::Rejected:
      ready_line_ = r.line;
      error_ = "ready line of `" + command_ + "` is '" + ready_line_ +
               "', expected 'listening on H:P' with P in 1..65535";
      return StartResult::MalformedReadyLine;
    case process::LineWait::Exited: {
      const process::ExitStatus& st = *child_.status();
      error_ = "`" + command_ + "` ended before its ready line (" +
               (st.how == process::ExitStatus::How::Exited ? "exit code " : "signal ") + std::to_string(st.code) +
               "); stdout so far: '" + r.seen + "'";
      return StartResult::ExitedBeforeReady;
    }
    case process::LineWait::TimedOut:
      break;
  }
  error_ = "no ready line from `" + command_ + "` within " + std::to_string(ready_timeout.count()) +
           " ms; stdout so far: '" + r.seen + "'";
  return StartResult::TimedOut;
}

ServerProcess::StopResult ServerProcess::stop(std::chrono::milliseconds timeout) {
  if (!child_.running()) return StopResult::NotRunning;
  terminate();
  if (!child_.wait_for(timeout)) {
    child_.signal(SIGKILL);
    child_.wait_for(kReapAfterKill);
    error_ = "`" + command_ + "` still running " + std::to_string(timeout.count()) + " ms after SIGTERM; SIGKILLed";
    return StopResult::KilledAfterTimeout;
  }
  const process::ExitStatus& st = *child_.status();
  if (st.how == process::ExitStatus::How::Exited) {
    exit_code_ = st.code;
    return StopResult::Exited;
  }
  term_signal_ = st.code;
  error_ = "`" + command_ + "` died of signal " + std::to_string(term_signal_) + " after SIGTERM";
  return StopResult::Signalled;
}

void ServerProcess::terminate() noexcept {
  // A second SIGTERM would test a different thing (impatient shutdown); send exactly one.
  if (!child_.running() || sigterm_sent_) return;
  sigterm_sent_ = true;
  child_.signal(SIGTERM);
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
