// ChildProcess: one program we start (a server, wsload, valgrind, a test probe), owned by PID.
//
// This is the one process launcher of the C++ side: wsbench, wsalloc-instr and every C++ test that
// starts a child use it (harness/process/README.md lists them).
//
// Ownership: the object owns the PID from spawn() until the child has been reaped. Its destructor
// kills (SIGKILL) and reaps a child that is still running, so an exception or a failed test cannot
// leak a server. The child also gets PR_SET_PDEATHSIG(SIGKILL): if its parent dies, it dies too
// (the setting survives exec, so it holds through `taskset` and `env`). That is the watchdog for
// the parent's own death; every wait here takes a deadline, which is the watchdog for the child's.
// Nothing here signals anything but the PID it spawned.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsalloc::process {

struct SpawnSpec {
  std::vector<std::string> argv;                            // argv[0] is looked up on PATH
  std::vector<std::pair<std::string, std::string>> env;     // added to (or replacing in) our environment
  std::string stdout_path;                                  // "" = /dev/null (ignored with stdout_pipe)
  std::string stderr_path;                                  // "" = /dev/null (ignored with stderr_pipe/inherit)
  bool stdout_pipe = false;                                 // stdout readable through stdout_fd()
  bool stderr_pipe = false;                                 // stderr readable through stderr_fd()
  bool stderr_inherit = false;                              // stderr is ours (diagnostics in the test log)
  bool stdin_pipe = false;                                  // stdin writable through stdin_fd(); else /dev/null
  std::string cwd;                                          // "" = ours
  int cpu = -1;                                             // pinned to this CPU before exec; -1 = not pinned
  // SIGTERM, SIGINT and SIGPIPE back to their default actions in the child, for a parent (a test
  // runner) that ignores them: a server under test must see SIGTERM. Off by default: wsbench's
  // servers inherit what wsbench has, as they always did.
  bool default_signals = false;
};

struct ExitStatus {
  enum class How : uint8_t { Exited, Signalled };
  How how = How::Exited;
  int code = 0;           // exit code, or the signal number
  double user_s = 0;      // from wait4's rusage: the child's own CPU (not its children's)
  double sys_s = 0;
  bool ok() const noexcept { return how == How::Exited && code == 0; }
  // The shell's `$?`: the exit code, or 128 + the signal number.
  int shell_code() const noexcept { return how == How::Exited ? code : 128 + code; }
  std::string describe() const;  // "exit 0", "exit 2", "killed by signal 9 (Killed)"
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
  int stdout_fd() const noexcept { return stdout_fd_; }  // -1 unless stdout_pipe; non-blocking
  int stderr_fd() const noexcept { return stderr_fd_; }  // -1 unless stderr_pipe; non-blocking
  int stdin_fd() const noexcept { return stdin_fd_; }    // -1 unless stdin_pipe; blocking
  void close_stdin() noexcept;                           // the child then reads end of file
  // Writes `bytes` to the child's stdin (blocking). Returns how many went: fewer when the child
  // closed its stdin or exited, and never SIGPIPE (blocked for the write, a pending one taken back).
  size_t write_stdin(std::string_view bytes) noexcept;
  const std::optional<ExitStatus>& status() const noexcept { return status_; }

  // Reaps the child if it has exited (non-blocking).
  const std::optional<ExitStatus>& poll();
  // Waits up to `timeout` for the child to exit by itself.
  const std::optional<ExitStatus>& wait_for(std::chrono::milliseconds timeout);
  // Sends `sig` to the child's PID once (no-op once it has been reaped).
  void signal(int sig) noexcept;
  // SIGTERM, wait up to `grace`, then SIGKILL and reap. Returns the final status.
  ExitStatus terminate(std::chrono::milliseconds grace);
  // Appends what is readable on the stderr (stdout) pipe now to `out` (non-blocking). Returns false
  // once the pipe has reached end of file (the child closed it or exited).
  bool drain_stderr(std::string& out);
  bool drain_stdout(std::string& out);

 private:
  void release() noexcept;  // kill and reap a running child, close our pipe ends

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stdin_fd_ = -1;
  std::optional<ExitStatus> status_;
};

// The command line as one shell-quoted string, with env assignments in front: what a person pastes
// to reproduce the run.
std::string format_command(const std::vector<std::pair<std::string, std::string>>& env,
                           const std::vector<std::string>& argv);

// Full path of `program` on PATH (or itself when it contains '/'), if it is an executable file.
std::optional<std::string> find_on_path(const std::string& program);

// A program run to its end with a watchdog: what it printed and how it ended.
struct Completed {
  ExitStatus status;
  bool timed_out = false;  // still running at the deadline: SIGKILLed by us, then reaped
  std::string out;         // stdout, when the spec asked for stdout_pipe
  std::string err;         // stderr, when the spec asked for stderr_pipe
};
// Runs `spec` until it exits or `timeout` passes (then SIGKILL). Reads both pipes while it runs, so
// a chatty child cannot block on a full pipe. A spawn failure throws (see spawn()). A non-empty
// `input` is written to the child's stdin, which is then closed (at most 64 KiB: one pipe's worth,
// written before anything is read).
Completed run_to_completion(const SpawnSpec& spec, std::chrono::milliseconds timeout, const std::string& input = {});

// Runs a short command to completion and returns (status, stdout). For `--version`, `--help`,
// `git rev-parse`: bounded by `timeout` (the child is killed after it). stderr goes to /dev/null.
std::pair<ExitStatus, std::string> run_capture(const std::vector<std::string>& argv,
                                               std::chrono::milliseconds timeout,
                                               const std::string& cwd = {});

}  // namespace wsalloc::process
