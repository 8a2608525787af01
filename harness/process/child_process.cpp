#include "process/child_process.hpp"

#include "process/cpu_time.hpp"

#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <system_error>
#include <tuple>
#include <thread>

#include <fmt/core.h>

extern char** environ;

namespace wsalloc::process {
namespace {

ExitStatus status_of(int wstatus, const rusage& ru) {
  ExitStatus s;
  if (WIFSIGNALED(wstatus)) {
    s.how = ExitStatus::How::Signalled;
    s.code = WTERMSIG(wstatus);
  } else {
    s.code = WEXITSTATUS(wstatus);
  }
  s.user_s = seconds(ru.ru_utime);
  s.sys_s = seconds(ru.ru_stime);
  return s;
}

// write(2) of a whole string from the forked child (async-signal-safe).
void child_write(int fd, const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  return how == How::Exited ? fmt::format("exit {}", code) : fmt::format("killed by signal {} ({})", code, strsignal(code));
}

namespace {

// What execve needs, built before fork: after fork only async-signal-safe calls.
struct ExecImage {
  std::string program;  // resolved on PATH
  std::vector<std::string> env_strings;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string exec_error;  // "exec PROGRAM: ", written by the child when execve fails
  cpu_set_t pin;
};

void build_image(const SpawnSpec& spec, ExecImage& img) {
  for (const std::string& a : spec.argv) img.argv.push_back(const_cast<char*>(a.c_str()));
  img.argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) env_map[k] = v;
  for (const auto& [k, v] : env_map) img.env_strings.push_back(k + "=" + v);
  for (std::string& s : img.env_strings) img.envp.push_back(s.data());
  img.envp.push_back(nullptr);
  img.program = find_on_path(spec.argv[0]).value_or(spec.argv[0]);
  img.exec_error = "exec " + img.program + ": ";
  CPU_ZERO(&img.pin);
  if (spec.cpu >= 0) CPU_SET(spec.cpu, &img.pin);
}

// The child's stdin/stdout/stderr, and our ends of its pipes. Owns every descriptor it opened
// until release_parent_ends(); its destructor closes what is still open (a spawn that throws).
struct StdStreams {
  int in = -1, out = -1, err = -1;                  // what the child dup2s onto 0, 1, 2
  int our_stdin = -1, our_stdout = -1, our_stderr = -1;  // parent ends (-1 unless piped)
  std::vector<int> opened;

  StdStreams() = default;
  StdStreams(const StdStreams&) = delete;
  StdStreams& operator=(const StdStreams&) = delete;
  ~StdStreams() {
    for (int fd : opened) ::close(fd);
  }
  // Closes the child's ends; the parent ends are the caller's from now on.
  void release_parent_ends() {
    for (int fd : opened) {
      if (fd != our_stdin && fd != our_stdout && fd != our_stderr) ::close(fd);
    }
    opened.clear();
  }
};

void open_streams(const SpawnSpec& spec, const std::string& program, StdStreams& s) {
  auto open_out = [&](const std::string& path) {
    int fd = ::open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open(" + path + ") for " + program);
    s.opened.push_back(fd);
    return fd;
  };
  // Returns {parent end, child end}; for stdin the parent writes, for the others it reads.
  auto make_pipe = [&]() -> std::pair<int, int> {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2 for " + program);
    s.opened.push_back(fds[0]);
    s.opened.push_back(fds[1]);
    return {fds[0], fds[1]};
  };
  if (spec.stdout_pipe) {
    std::tie(s.our_stdout, s.out) = make_pipe();
  } else {
    s.out = open_out(spec.stdout_path);
  }
  if (spec.stderr_pipe) {
    std::tie(s.our_stderr, s.err) = make_pipe();
  } else if (spec.stderr_inherit) {
    s.err = 2;
  } else {
    s.err = open_out(spec.stderr_path);
  }
  if (spec.stdin_pipe) {
    std::tie(s.in, s.our_stdin) = make_pipe();
  } else {
    s.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    s.opened.push_back(s.in);
  }
}

// In the forked child: async-signal-safe calls only, then exec (or _exit(127) with the reason).
[[noreturn]] void exec_in_child(const SpawnSpec& spec, ExecImage& img, const StdStreams& s, pid_t parent) {
  // Die with the parent; the check closes the race where the parent died before prctl.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  ::setpgid(0, 0);  // own process group: a terminal's ^C reaches the parent, which stops us in order
  ::dup2(s.in, 0);
  ::dup2(s.out, 1);
  if (s.err != 2) ::dup2(s.err, 2);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
    child_write(2, "chdir failed\n");
    ::_exit(127);
  }
  if (spec.cpu >= 0 && ::sched_setaffinity(0, sizeof img.pin, &img.pin) != 0) {
    child_write(2, "sched_setaffinity failed\n");
    ::_exit(127);
  }
  if (spec.default_signals) {
    for (int sig : {SIGTERM, SIGINT, SIGPIPE}) ::signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(img.program.c_str(), img.argv.data(), img.envp.data());
  child_write(2, img.exec_error.c_str());
  child_write(2, strerror(errno));
  child_write(2, "\n");
  ::_exit(127);
}

}  // namespace

ChildProcess ChildProcess::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  ExecImage img;
  build_image(spec, img);
  StdStreams streams;
  open_streams(spec, img.program, streams);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork for " + img.program);
  if (pid == 0) exec_in_child(spec, img, streams, parent);

  ChildProcess c;
  c.pid_ = pid;
  c.stdout_fd_ = streams.our_stdout;
  c.stderr_fd_ = streams.our_stderr;
  c.stdin_fd_ = streams.our_stdin;
  streams.release_parent_ends();
  for (int fd : {c.stdout_fd_, c.stderr_fd_}) {
    if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      stdout_fd_(std::exchange(o.stdout_fd_, -1)),
      stderr_fd_(std::exchange(o.stderr_fd_, -1)),
      stdin_fd_(std::exchange(o.stdin_fd_, -1)),
      status_(std::move(o.status_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    release();
    pid_ = std::exchange(o.pid_, -1);
    stdout_fd_ = std::exchange(o.stdout_fd_, -1);
    stderr_fd_ = std::exchange(o.stderr_fd_, -1);
    stdin_fd_ = std::exchange(o.stdin_fd_, -1);
    status_ = std::move(o.status_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() noexcept {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int ws = 0;
    while (::waitpid(pid_, &ws, 0) < 0 && errno == EINTR) {
    }
  }
  for (int* fd : {&stdout_fd_, &stderr_fd_, &stdin_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  pid_ = -1;
  status_.reset();
}

void ChildProcess::close_stdin() noexcept {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

size_t ChildProcess::write_stdin(std::string_view bytes) noexcept {
  if (stdin_fd_ < 0) return 0;
  // A child that exited raises SIGPIPE on this write: blocked for it, and a pending one taken
  // back, so the caller sees a short write instead of dying.
  sigset_t pipe_only, before;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(stdin_fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const timespec now{0, 0};
      sigtimedwait(&pipe_only, nullptr, &now);
      break;
    }
    done += static_cast<size_t>(n);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  return done;
}

void ChildProcess::signal(int sig) noexcept {
  if (running()) ::kill(pid_, sig);
}

const std::optional<ExitStatus>& ChildProcess::poll() {
  if (!running()) return status_;
  int ws = 0;
  rusage ru{};
  pid_t r;
  do {
    r = ::wait4(pid_, &ws, WNOHANG, &ru);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) status_ = status_of(ws, ru);
  return status_;
}

const std::optional<ExitStatus>& ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (poll()) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (running() && !poll()) {
    ::kill(pid_, SIGTERM);
    if (!wait_for(grace)) {
      ::kill(pid_, SIGKILL);
      int ws = 0;
      rusage ru{};
      while (::wait4(pid_, &ws, 0, &ru) < 0 && errno == EINTR) {
      }
      status_ = status_of(ws, ru);
    }
  }
  return *status_;
}

namespace {

// Appends what is readable on a non-blocking pipe now; false at end of file (or no pipe).
bool drain(int fd, std::string& out) {
  if (fd < 0) return false;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: still open; 0: end of file
  }
}

}  // namespace

bool ChildProcess::drain_stderr(std::string& out) { return drain(stderr_fd_, out); }
bool ChildProcess::drain_stdout(std::string& out) { return drain(stdout_fd_, out); }

std::string format_command(const std::vector<std::pair<std::string, std::string>>& env,
                           const std::vector<std::string>& argv) {
  auto quote = [](const std::string& s) {
    const bool plain = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789@%+=:,./-_") == std::string::npos;
    if (plain) return s;
    std::string q = "'";
    for (char c : s) {
      if (c == '\'') {
        q.append("'\\''");
      } else {
        q.push_back(c);
      }
    }
    q.push_back('\'');
    return q;
  };
  std::string out;
  for (const auto& [k, v] : env) out += k + "=" + quote(v) + " ";
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) out.push_back(' ');
    out.append(quote(argv[i]));
  }
  return out;
}

std::optional<std::string> find_on_path(const std::string& program) {
  auto executable = [](const std::string& p) {
    struct stat st{};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return executable(program) ? std::optional(program) : std::nullopt;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && executable(dir + "/" + program)) return dir + "/" + program;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return std::nullopt;
}

Completed run_to_completion(const SpawnSpec& spec, std::chrono::milliseconds timeout, const std::string& input) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  Completed r;
  if (input.size() > 65536) throw std::invalid_argument("run_to_completion: more input than a pipe holds");
  SpawnSpec with_input = spec;
  with_input.stdin_pipe = with_input.stdin_pipe || !input.empty();
  ChildProcess c = ChildProcess::spawn(with_input);
  if (!input.empty()) {
    c.write_stdin(input);  // short when the child exits before reading: it reads no more
    c.close_stdin();
  }
  bool out_open = c.stdout_fd() >= 0, err_open = c.stderr_fd() >= 0;
  // Read until both pipes reach end of file (the child and anything it forked closed them).
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd p[2] = {{out_open ? c.stdout_fd() : -1, POLLIN, 0}, {err_open ? c.stderr_fd() : -1, POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(p, 2, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
    if (out_open) out_open = c.drain_stdout(r.out);
    if (err_open) err_open = c.drain_stderr(r.err);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (c.wait_for(std::max(left, std::chrono::milliseconds(0)))) {
    r.status = *c.status();
  } else {
    r.timed_out = true;
    r.status = c.terminate(std::chrono::milliseconds(200));
  }
  c.drain_stdout(r.out);
  c.drain_stderr(r.err);
  return r;
}

std::pair<ExitStatus, std::string> run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                               const std::string& cwd) {
  SpawnSpec spec;
  spec.argv = argv;
  spec.stdout_pipe = true;
  spec.cwd = cwd;
  Completed r = run_to_completion(spec, timeout);
  return {r.status, std::move(r.out)};
}

}  // namespace wsalloc::process
