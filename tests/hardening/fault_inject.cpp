// fault_inject.cpp: an LD_PRELOAD library for the hardening tests. It makes chosen system calls of
// wsalloc-server fail the way a kernel under pressure does, so the server's reaction is tested on
// the real binary (tests/hardening/test_accept_faults.py). Environment:
//
//   WSALLOC_FAULT_WATCH_ENOSPC=N    the N-th epoll_ctl(EPOLL_CTL_ADD) of a connected socket (a
//                                   new connection; not the listener, not the eventfd) fails
//                                   with ENOSPC, as at /proc/sys/fs/epoll/max_user_watches
//   WSALLOC_FAULT_ACCEPT_ERRNO=E    accept4 fails with errno E (e.g. 105, ENOBUFS) ...
//   WSALLOC_FAULT_ACCEPT_MS=T       ... during the T ms after its first call (default 500)
//   WSALLOC_FAULT_REPORT=PATH       at exit: "accept4_calls=N accept4_failed=N watch_failed=N"
//
// Never linked into anything; without these variables every call passes straight through.
#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace {

std::atomic<long> g_accept_calls{0}, g_accept_failed{0}, g_watch_failed{0}, g_socket_adds{0};
std::atomic<long long> g_accept_first_ms{-1};

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool is_connected_socket(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) return false;  // not a socket
  return listening == 0;
}

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

struct Report {
  ~Report() {
    const char* path = std::getenv("WSALLOC_FAULT_REPORT");
    if (!path) return;
    if (FILE* f = std::fopen(path, "w")) {
      std::fprintf(f, "accept4_calls=%ld accept4_failed=%ld watch_failed=%ld\n", g_accept_calls.load(),
                   g_accept_failed.load(), g_watch_failed.load());
      std::fclose(f);
    }
  }
} g_report;

}  // namespace

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  static const auto real = next<int (*)(int, sockaddr*, socklen_t*, int)>("accept4");
  static const long fail_errno = env_long("WSALLOC_FAULT_ACCEPT_ERRNO", 0);
  static const long fail_ms = env_long("WSALLOC_FAULT_ACCEPT_MS", 500);
  g_accept_calls.fetch_add(1);
  if (fail_errno != 0) {
    long long first = -1;
    g_accept_first_ms.compare_exchange_strong(first, now_ms());
    if (now_ms() - g_accept_first_ms.load() < fail_ms) {
      g_accept_failed.fetch_add(1);
      errno = static_cast<int>(fail_errno);
      return -1;
    }
  }
  return real(fd, addr, len, flags);
}

extern "C" int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  static const auto real = next<int (*)(int, int, int, epoll_event*)>("epoll_ctl");
  static const long fail_nth = env_long("WSALLOC_FAULT_WATCH_ENOSPC", 0);
  if (fail_nth > 0 && op == EPOLL_CTL_ADD && is_connected_socket(fd) && g_socket_adds.fetch_add(1) + 1 == fail_nth) {
    g_watch_failed.fetch_add(1);
    errno = ENOSPC;
    return -1;
  }
  return real(epfd, op, fd, event);
}
