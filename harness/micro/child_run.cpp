#include "micro/child_run.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace wsalloc::micro {

ChildStatus run_child(const std::vector<std::string>& argv, const std::string& stdout_path,
                      const std::string& stderr_path) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return {ChildEnd::SpawnFailed, rc};

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return {ChildEnd::SpawnFailed, errno};
  }
  if (WIFSIGNALED(status)) return {ChildEnd::Signalled, WTERMSIG(status)};
  return {ChildEnd::Exited, WEXITSTATUS(status)};
}

std::string describe(const ChildStatus& s) {
  switch (s.end) {
    case ChildEnd::Exited: return "exited with " + std::to_string(s.code);
    case ChildEnd::Signalled: return "killed by signal " + std::to_string(s.code) + " (" + strsignal(s.code) + ")";
    case ChildEnd::SpawnFailed: return std::string("could not start: ") + std::strerror(s.code);
  }
  return "unknown";
}

}  // namespace wsalloc::micro
