#include "process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process/ready_line.hpp"

namespace wsalloc::load::test {

namespace {

// SIGTERM, up to 2 s to exit, then SIGKILL; always reaped.
constexpr std::chrono::milliseconds kStopGrace{2000};

std::vector<std::pair<std::string, std::string>> as_pairs(const std::vector<std::string>& assignments) {
  std::vector<std::pair<std::string, std::string>> env;
  for (const std::string& a : assignments) {
    const size_t eq = a.find('=');
    env.emplace_back(a.substr(0, eq), eq == std::string::npos ? "" : a.substr(eq + 1));
  }
  return env;
}

}  // namespace

std::optional<Server> Server::start(const std::vector<std::string>& argv, std::string& error,
                                    std::chrono::milliseconds timeout) {
  const process::SpawnSpec spec{.argv = argv, .stdout_pipe = true, .stderr_inherit = true};
  process::ChildProcess child;
  try {
    child = process::ChildProcess::spawn(spec);
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
  auto has_listening = [](const std::string& line) { return line.find("listening on ") != std::string::npos; };
  const process::LineWaitResult r = process::wait_for_line(child, {}, has_listening, timeout);
  if (r.outcome == process::LineWait::Found) {
    const std::string line = r.line.substr(r.line.find("listening on "));
    const uint16_t port = process::parse_listening_port(line);
    if (port != 0) return Server(std::move(child), port);
    error = "unparsable listening line: \"" + line + "\"";
  } else {
    error = argv[0] + " printed no `listening on HOST:PORT` line within the timeout; saw: \"" + r.seen + "\"";
  }
  child.terminate(kStopGrace);
  return std::nullopt;
}

Server::Server(Server&& o) noexcept : child_(std::move(o.child_)), port_(o.port_) {}

Server::~Server() {
  if (child_.running()) child_.terminate(kStopGrace);
}

RunOutput run_to_completion(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                            const std::vector<std::string>& extra_env, const std::string& input) {
  process::SpawnSpec spec;
  spec.argv = argv;
  spec.env = as_pairs(extra_env);
  spec.stdout_pipe = true;
  spec.stderr_pipe = true;
  RunOutput r;
  try {
    process::Completed c = process::run_to_completion(spec, timeout, input);
    r.exit_code = c.status.shell_code();
    r.timed_out = c.timed_out;
    r.out = std::move(c.out);
    r.err = std::move(c.err);
  } catch (const std::exception& e) {
    r.err = e.what();
  }
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
