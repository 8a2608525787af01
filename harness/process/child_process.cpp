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

ChildProcess ChildProcess::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  // Everything the child needs is built before fork: after fork only async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  const std::string program = find_on_path(spec.argv[0]).value_or(spec.argv[0]);
  const std::string exec_error = "exec " + program + ": ";

  auto open_out = [&](const std::string& path) {
    int fd = ::open(path.empty() ? "/dev/null" : path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open(" + path + ") for " + program);
    return fd;
  };
  // Every descriptor opened so far, closed again if a later step throws.
  std::vector<int> opened;
  auto close_all = [&] {
    for (int fd : opened) ::close(fd);
  };
  // [0] is the parent's end, [1] the child's (for stdin the other way round).
  auto make_pipe = [&](int (&fds)[2]) {
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      const int err = errno;
      close_all();
      throw std::system_error(err, std::generic_category(), "pipe2 for " + program);
    }
    opened.push_back(fds[0]);
    opened.push_back(fds[1]);
  };
  auto output_fd = [&](bool pipe, const std::string& path, int (&fds)[2]) {
    if (pipe) {
      make_pipe(fds);
      return fds[1];
    }
    try {
      const int fd = open_out(path);
      opened.push_back(fd);
      return fd;
    } catch (...) {
      close_all();
      throw;
    }
  };
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  const int out_fd = output_fd(spec.stdout_pipe, spec.stdout_path, out_pipe);
  const int err_fd = spec.stderr_inherit && !spec.stderr_pipe ? 2 : output_fd(spec.stderr_pipe, spec.stderr_path, err_pipe);
  int in_fd = -1;
  if (spec.stdin_pipe) {
    make_pipe(in_pipe);
    in_fd = in_pipe[0];
  } else {
    in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    opened.push_back(in_fd);
  }
  cpu_set_t pin;
  CPU_ZERO(&pin);
  if (spec.cpu >= 0) CPU_SET(spec.cpu, &pin);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    close_all();
    throw std::system_error(err, std::generic_category(), "fork for " + program);
  }
  if (pid == 0) {
    // Child: die with the parent; the check closes the race where the parent died before prctl.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);  // own process group: a terminal's ^C reaches the parent, which stops us in order
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    if (err_fd != 2) ::dup2(err_fd, 2);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      child_write(2, "chdir failed\n");
      ::_exit(127);
    }
    if (spec.cpu >= 0 && ::sched_setaffinity(0, sizeof pin, &pin) != 0) {
      child_write(2, "sched_setaffinity failed\n");
      ::_exit(127);
    }
    if (spec.default_signals) {
      for (int sig : {SIGTERM, SIGINT, SIGPIPE}) ::signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    child_write(2, exec_error.c_str());
    child_write(2, strerror(errno));
    child_write(2, "\n");
    ::_exit(127);
  }
  // Parent: keep our ends of the pipes, close everything the child now holds.
  ChildProcess c;
  c.pid_ = pid;
  c.stdout_fd_ = out_pipe[0];
  c.stderr_fd_ = err_pipe[0];
  c.stdin_fd_ = in_pipe[1];
  for (int fd : opened) {
    if (fd != c.stdout_fd_ && fd != c.stderr_fd_ && fd != c.stdin_fd_) ::close(fd);
  }
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

Completed run_to_completion(const SpawnSpec& spec, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  Completed r;
  ChildProcess c = ChildProcess::spawn(spec);
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
