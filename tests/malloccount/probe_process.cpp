#include "probe_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace wsalloc::malloccount::testing {

ProbeProcess::ProbeProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  process::SpawnSpec spec;
  spec.argv = argv;
  for (const std::string& assignment : env) {
    const size_t eq = assignment.find('=');
    spec.env.emplace_back(assignment.substr(0, eq), eq == std::string::npos ? "" : assignment.substr(eq + 1));
  }
  spec.stdin_pipe = true;
  spec.stdout_pipe = true;
  spec.stderr_inherit = true;
  child_ = process::ChildProcess::spawn(spec);  // throws std::system_error naming the program
}

ProbeProcess::~ProbeProcess() {
  child_.close_stdin();
  if (child_.running()) wait_exit(std::chrono::milliseconds(5000));
}

std::optional<std::string> ProbeProcess::next_line(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (auto nl = pending_.find('\n'); nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{child_.stdout_fd(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return std::nullopt;
    if (!child_.drain_stdout(pending_) && pending_.find('\n') == std::string::npos) return std::nullopt;  // EOF
  }
}

void ProbeProcess::resume() {
  char c = 'g';
  while (::write(child_.stdin_fd(), &c, 1) < 0 && errno == EINTR) {
  }
}

std::optional<int> ProbeProcess::wait_exit(std::chrono::milliseconds limit) {
  if (!child_.running()) return std::nullopt;
  if (child_.wait_for(limit)) return child_.status()->shell_code();
  child_.signal(SIGKILL);
  child_.wait_for(std::chrono::seconds(10));  // bounds a wait that SIGKILL ends at once
  return std::nullopt;
}

std::string fresh_counter_path(const std::string& tag) {
  static std::atomic<unsigned> serial{0};
  struct stat st {};
  std::string dir = ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
  return dir + "/wsalloc-mc-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial.fetch_add(1)) + "-" +
         tag;
}

}  // namespace wsalloc::malloccount::testing
