#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace wsalloc::load::test {

namespace {

using Clock = std::chrono::steady_clock;

struct Spawned {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};

// stdout (and optionally stderr) to pipes, stdin from /dev/null.
Spawned spawn(const std::vector<std::string>& argv, bool capture_err, std::string& error,
              const std::vector<std::string>& extra_env = {}) {
  int out[2], err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0 || (capture_err && pipe2(err, O_CLOEXEC) != 0)) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return {};
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  if (capture_err) posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (capture_err) ::close(err[1]);
  if (rc != 0) {
    error = "posix_spawn " + argv[0] + ": " + std::strerror(rc);
    ::close(out[0]);
    if (capture_err) ::close(err[0]);
    return {};
  }
  return {pid, out[0], capture_err ? err[0] : -1};
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits up to `ms` for pid to exit; returns its status or nullopt.
std::optional<int> wait_exit(pid_t pid, int ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void kill_and_reap(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  if (!wait_exit(pid, 2000)) {
    ::kill(pid, SIGKILL);
    wait_exit(pid, 5000);
  }
}

}  // namespace

std::optional<Server> Server::start(const std::vector<std::string>& argv, std::string& error,
                                    std::chrono::milliseconds timeout) {
  Spawned s = spawn(argv, false, error);
  if (s.pid < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  std::string seen;
  while (Clock::now() < deadline) {
    pollfd p{s.out, POLLIN, 0};
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(s.out, buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    const size_t at = seen.find("listening on ");
    const size_t eol = at == std::string::npos ? std::string::npos : seen.find('\n', at);
    if (eol != std::string::npos) {
      const std::string line = seen.substr(at, eol - at);
      const size_t colon = line.rfind(':');
      const int port = colon == std::string::npos ? 0 : std::atoi(line.c_str() + colon + 1);
      if (port > 0 && port < 65536) return Server(s.pid, s.out, static_cast<uint16_t>(port));
      error = "unparsable listening line: \"" + line + "\"";
      break;
    }
  }
  if (error.empty()) error = argv[0] + " printed no `listening on HOST:PORT` line within the timeout; saw: \"" + seen + "\"";
  kill_and_reap(s.pid);
  ::close(s.out);
  return std::nullopt;
}

Server::Server(Server&& o) noexcept : pid_(o.pid_), out_fd_(o.out_fd_), port_(o.port_) {
  o.pid_ = -1;
  o.out_fd_ = -1;
}

Server::~Server() {
  kill_and_reap(pid_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

RunOutput run_to_completion(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                            const std::vector<std::string>& extra_env) {
  RunOutput r;
  std::string error;
  Spawned s = spawn(argv, true, error, extra_env);
  if (s.pid < 0) {
    r.err = error;
    return r;
  }
  const auto deadline = Clock::now() + timeout;
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && Clock::now() < deadline) {
    pollfd p[2] = {{out_open ? s.out : -1, POLLIN, 0}, {err_open ? s.err : -1, POLLIN, 0}};
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (::poll(p, 2, std::max(left, 1)) <= 0) continue;
    char buf[16384];
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else {
        (i == 0 ? out_open : err_open) = false;
      }
    }
  }
  if (out_open || err_open) {
    r.timed_out = true;
    ::kill(s.pid, SIGKILL);
  }
  const auto st = wait_exit(s.pid, r.timed_out ? 5000 : static_cast<int>(std::max<int64_t>(
                                                           2000, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count())));
  if (!st) {
    ::kill(s.pid, SIGKILL);
    r.exit_code = wait_exit(s.pid, 5000).value_or(-1);
    r.timed_out = true;
  } else {
    r.exit_code = *st;
  }
  ::close(s.out);
  ::close(s.err);
  return r;
}

uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // never listened: connecting is refused
  return ntohs(a.sin_port);
}

}  // namespace wsalloc::load::test
