// ChildProcess: one program wsbench starts (a server, wsload, heaptrack), owned by PID.
//
// Ownership: the object owns the PID from spawn() until the child has been reaped. Its destructor
// kills (SIGKILL) and reaps a child that is still running, so an exception cannot leak a server.
// The child also gets PR_SET_PDEATHSIG(SIGKILL): if wsbench itself dies, its servers die with it
// (the setting survives exec, so it holds through `taskset` and `env`).
// Nothing here signals anything but the PID it spawned.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wsalloc::bench {

struct SpawnSpec {
  std::vector<std::string> argv;                            // argv[0] is looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;     // added to (or replacing in) our environment
  std::string stdout_path;                                  // "" = /dev/null
  std::string stderr_path;                                  // "" = /dev/null (ignored with stderr_pipe)
  bool stderr_pipe = false;                                 // stderr readable through stderr_fd()
  std::string cwd;                                          // "" = ours
};

struct ExitStatus {
  enum class How : uint8_t { Exited, Signalled };
  How how = How::Exited;
  int code = 0;           // exit code, or the signal number
  double user_s = 0;      // from wait4's rusage: the child's own CPU (not its children's)
  double sys_s = 0;
  bool ok() const noexcept { return how == How::Exited && code == 0; }
  std::string describe() const;  // "exit 0", "exit 2", "killed by signal 9"
};

class ChildProcess {
 public:
  // Throws std::system_error naming the program when fork/pipe/open fails. An exec failure shows up
  // as exit code 127 with "exec PROGRAM: REASON" written to the child's stderr.
  static ChildProcess spawn(const SpawnSpec& spec);

  ChildProcess() = default;
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0 && !status_; }
  int stderr_fd() const noexcept { return stderr_fd_; }  // -1 unless stderr_pipe; non-blocking
  const std::optional<ExitStatus>& status() const noexcept { return status_; }

  // Reaps the child if it has exited (non-blocking).
  const std::optional<ExitStatus>& poll();
  // Waits up to `timeout` for the child to exit by itself.
  const std::optional<ExitStatus>& wait_for(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL and reap. Returns the final status.
  ExitStatus terminate(std::chrono::milliseconds grace);
  // Appends what is readable on the stderr pipe now to `out` (non-blocking). Returns false once
  // the pipe has reached end of file (the child closed it or exited).
  bool drain_stderr(std::string& out);

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::optional<ExitStatus> status_;
};

// The command line as one shell-quoted string, with env assignments in front: what a person pastes
// to reproduce the run.
std::string format_command(const std::vector<std::pair<std::string, std::string>>& env,
                           const std::vector<std::string>& argv);

// Full path of `program` on PATH (or itself when it contains '/'), if it is an executable file.
std::optional<std::string> find_on_path(const std::string& program);

// Runs a short command to completion and returns (status, stdout). For `--version`, `--help`,
// `git rev-parse`: bounded by `timeout` (the child is killed after it).
std::pair<ExitStatus, std::string> run_capture(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout,
                                               const std::string& cwd = {});

}  // namespace wsalloc::bench
