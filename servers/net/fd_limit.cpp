#include "net/fd_limit.hpp"

namespace wsalloc::net {

rlim_t raise_fd_limit() noexcept {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    const rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return before;
  }
  return rl.rlim_cur;
}

}  // namespace wsalloc::net
