#include "bench/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <system_error>
#include <thread>

#include <fmt/core.h>

extern char** environ;

namespace wsalloc::bench {
namespace {

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; }

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
  int out_fd = open_out(spec.stdout_path);
  int err_fd = -1;
  int pipe_fds[2] = {-1, -1};
  if (spec.stderr_pipe) {
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
      ::close(out_fd);
      throw std::system_error(errno, std::generic_category(), "pipe2 for " + program);
    }
    err_fd = pipe_fds[1];
  } else {
    err_fd = open_out(spec.stderr_path);
  }
  int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(out_fd);
    ::close(err_fd);
    if (pipe_fds[0] >= 0) ::close(pipe_fds[0]);
    ::close(in_fd);
    throw std::system_error(err, std::generic_category(), "fork for " + program);
  }
  if (pid == 0) {
    // Child: die with wsbench; the check closes the race where the parent died before prctl.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);  // own process group: a terminal's ^C reaches wsbench, which stops us in order
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      child_write(2, "chdir failed\n");
      ::_exit(127);
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
  ::close(out_fd);
  ::close(err_fd);
  ::close(in_fd);
  ChildProcess c;
  c.pid_ = pid;
  if (pipe_fds[0] >= 0) {
    c.stderr_fd_ = pipe_fds[0];
    ::fcntl(c.stderr_fd_, F_SETFL, ::fcntl(c.stderr_fd_, F_GETFL) | O_NONBLOCK);
  }
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), stderr_fd_(std::exchange(o.stderr_fd_, -1)), status_(std::move(o.status_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    this->~ChildProcess();
    pid_ = std::exchange(o.pid_, -1);
    stderr_fd_ = std::exchange(o.stderr_fd_, -1);
    status_ = std::move(o.status_);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    int ws = 0;
    ::waitpid(pid_, &ws, 0);
  }
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
  stderr_fd_ = -1;
  pid_ = -1;
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

bool ChildProcess::drain_stderr(std::string& out) {
  if (stderr_fd_ < 0) return false;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: still open; 0: end of file
  }
}

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

std::pair<ExitStatus, std::string> run_capture(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                               const std::string& cwd) {
  char tmpl[] = "/tmp/wsbench-capture-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp for " + argv.at(0));
  ::close(fd);
  std::string out_path = tmpl;
  SpawnSpec spec;
  spec.argv = argv;
  spec.stdout_path = out_path;
  spec.cwd = cwd;
  ExitStatus st;
  {
    ChildProcess c = ChildProcess::spawn(spec);
    if (!c.wait_for(timeout)) {
      st = c.terminate(std::chrono::milliseconds(200));
    } else {
      st = *c.status();
    }
  }
  std::string text;
  if (FILE* f = std::fopen(out_path.c_str(), "rb")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    std::fclose(f);
  }
  ::unlink(out_path.c_str());
  return {st, text};
}

}  // namespace wsalloc::bench
