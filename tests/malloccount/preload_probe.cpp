// wsalloc-malloccount-probe: a program with known allocations, run under LD_PRELOAD by
// preload_test.cpp. Between markers it does exactly what its scenario says and nothing else.
//
// Marker protocol (raw read/write on fds 0/1, never stdio, which allocates): the probe writes
// "mark NAME\n" and blocks until it reads one byte on stdin, so the test can snapshot the counter
// file while the probe stands still. Scenarios that check themselves print "ok" or "FAIL ...".
// Exit: 0 done, 1 self-check failed, 2 usage, 3 a bounded wait timed out (a deadlock).
#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include "malloccount/counters.hpp"

namespace {

enum Exit : int { kOk = 0, kSelfCheckFailed = 1, kUsage = 2, kTimedOut = 3 };

// Keeps the optimiser from deleting a malloc/free pair whose pointer is never used.
inline void escape(void* p) { asm volatile("" : : "g"(p) : "memory"); }

void put(std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::_Exit(kUsage);
    s.remove_prefix(static_cast<size_t>(n));
  }
}

void mark(std::string_view name) {
  put("mark ");
  put(name);
  put("\n");
  char c = 0;
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) return;
    if (n < 0 && errno == EINTR) continue;
    std::_Exit(kUsage);  // the test went away
  }
}

void malloc_free(uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    void* p = std::malloc(8 + i % 64);
    escape(p);
    std::free(p);
  }
}

// Bounded spin: every wait in a test has a deadline.
template <class Pred>
bool wait_until(Pred done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    sched_yield();
  }
  return true;
}

// Waits for a child with a deadline; kills it (our own child, by pid) if it hangs.
bool reap(pid_t pid, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (r < 0 && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return false;
    }
    ::usleep(1000);
  }
}

int scenario_malloc(uint64_t k) {
  mark("start");
  malloc_free(k);
  mark("end");
  return kOk;
}

int scenario_threads(unsigned threads, uint64_t k) {
  std::atomic<bool> go{false};
  std::atomic<bool> may_exit{false};
  std::atomic<unsigned> done{0};
  std::vector<std::thread> pool;
  // Threads start (and allocate their own state) before the window opens, and exit (freeing
  // their tcache and TLS) only after it closed.
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      wait_until([&] { return go.load(); }, std::chrono::seconds(60));
      malloc_free(k);
      done.fetch_add(1);
      wait_until([&] { return may_exit.load(); }, std::chrono::seconds(60));
    });
  mark("start");
  go.store(true);
  bool finished = wait_until([&] { return done.load() == threads; }, std::chrono::seconds(60));
  mark("end");
  may_exit.store(true);
  for (auto& t : pool) t.join();
  return finished ? kOk : kTimedOut;
}

// Parent and child allocate at the same time after the fork: if the child kept writing the
// parent thread's shard (instead of claiming its own), counts would be lost.
int scenario_fork(uint64_t before_k, uint64_t both_k) {
  mark("start");
  malloc_free(before_k);
  pid_t pid = ::fork();
  if (pid == 0) {
    malloc_free(both_k);
    ::_exit(0);
  }
  malloc_free(both_k);
  bool ok = pid > 0 && reap(pid, std::chrono::seconds(30));
  mark("end");
  return ok ? kOk : kTimedOut;
}

// Forks while two threads hammer malloc: neither the parent nor any child may deadlock. The
// hammers run only inside the window, so both snapshots are taken while nothing allocates.
int scenario_fork_stress(unsigned forks) {
  constexpr unsigned kHammers = 2;
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<bool> may_exit{false};
  std::atomic<unsigned> stopped{0};
  std::vector<std::thread> hammer;
  for (unsigned t = 0; t < kHammers; ++t)
    hammer.emplace_back([&] {
      wait_until([&] { return go.load(); }, std::chrono::seconds(60));
      while (!stop.load(std::memory_order_relaxed)) malloc_free(16);
      stopped.fetch_add(1);
      wait_until([&] { return may_exit.load(); }, std::chrono::seconds(60));  // exit frees: outside the window
    });
  mark("start");
  go.store(true);
  bool ok = true;
  for (unsigned i = 0; i < forks && ok; ++i) {
    pid_t pid = ::fork();
    if (pid == 0) {
      malloc_free(100);
      ::_exit(0);
    }
    ok = pid > 0 && reap(pid, std::chrono::seconds(20));
  }
  stop.store(true);
  ok = wait_until([&] { return stopped.load() == kHammers; }, std::chrono::seconds(60)) && ok;
  mark("end");
  may_exit.store(true);
  for (auto& t : hammer) t.join();
  return ok ? kOk : kTimedOut;
}

struct alignas(64) CacheLine {
  char bytes[64];
};

int scenario_families() {
  volatile size_t huge = SIZE_MAX / 2;  // volatile: no compile-time "exceeds maximum object size"
  mark("start");
  void* p = std::realloc(nullptr, 100);
  escape(p);
  mark("realloc_null");
  p = std::realloc(p, 5000);
  escape(p);
  mark("realloc_grow");
  p = std::realloc(p, 0);  // glibc: frees, returns nullptr
  escape(p);
  mark("realloc_zero");
  p = std::calloc(10, 12);
  escape(p);
  std::free(p);
  mark("calloc");
  void* q = nullptr;
  if (::posix_memalign(&q, 64, 100) != 0) return kSelfCheckFailed;
  escape(q);
  std::free(q);
  mark("posix_memalign");
  if (::posix_memalign(&q, 3, 100) != EINVAL) return kSelfCheckFailed;
  mark("posix_memalign_einval");
  p = std::aligned_alloc(64, 128);
  escape(p);
  std::free(p);
  mark("aligned_alloc");
  p = ::memalign(32, 50);
  escape(p);
  std::free(p);
  mark("memalign");
  p = ::valloc(10);
  escape(p);
  std::free(p);
  mark("valloc");
  p = ::pvalloc(10);
  escape(p);
  std::free(p);
  mark("pvalloc");
  p = ::reallocarray(nullptr, 10, 8);
  escape(p);
  std::free(p);
  mark("reallocarray");
  char* s = ::strdup("hello");  // glibc-internal malloc goes through the interposed one
  escape(s);
  std::free(s);
  mark("strdup");
  int* i = new int(7);
  escape(i);
  delete i;
  mark("new");
  auto* line = new CacheLine;
  escape(line);
  delete line;
  mark("new_aligned");
  p = std::malloc(huge);
  escape(p);
  if (p != nullptr) return kSelfCheckFailed;
  mark("malloc_fail");
  return kOk;
}

// No WSALLOC_MALLOCCOUNT_FILE: the library counts in process memory; read it in-process. A fork
// child then has its own copy, so the parent's counts stay exactly its own.
int scenario_static(uint64_t k, uint64_t child_k) {
  using wsalloc::malloccount::CounterFile;
  using wsalloc::malloccount::snapshot_of;
  auto counters = reinterpret_cast<const CounterFile* (*)()>(::dlsym(RTLD_DEFAULT, "wsalloc_malloccount_counters"));
  if (counters == nullptr) {
    put("FAIL wsalloc_malloccount_counters not found: not preloaded?\n");
    return kSelfCheckFailed;
  }
  const CounterFile* file = counters();
  auto before = snapshot_of(*file);
  malloc_free(k);
  pid_t pid = ::fork();
  if (pid == 0) {
    malloc_free(child_k);
    ::_exit(0);
  }
  bool reaped = pid > 0 && reap(pid, std::chrono::seconds(30));
  auto after = snapshot_of(*file);
  uint64_t allocs = after.allocations - before.allocations;
  uint64_t frees = after.frees - before.frees;
  uint64_t forks_seen = after.forks - before.forks;
  if (!reaped) return kTimedOut;
  if (allocs != k || frees != k || forks_seen != 0) {
    put("FAIL static counts differ\n");
    return kSelfCheckFailed;
  }
  put("ok\n");
  return kOk;
}

uint64_t arg(char** argv, int i) { return std::strtoull(argv[i], nullptr, 10); }

}  // namespace

int main(int argc, char** argv) {
  std::string_view what = argc > 1 ? argv[1] : "";
  if (what == "malloc" && argc == 3) return scenario_malloc(arg(argv, 2));
  if (what == "empty" && argc == 2) return scenario_malloc(0);
  if (what == "threads" && argc == 4) return scenario_threads(static_cast<unsigned>(arg(argv, 2)), arg(argv, 3));
  if (what == "fork" && argc == 4) return scenario_fork(arg(argv, 2), arg(argv, 3));
  if (what == "fork_stress" && argc == 3) return scenario_fork_stress(static_cast<unsigned>(arg(argv, 2)));
  if (what == "families" && argc == 2) return scenario_families();
  if (what == "static" && argc == 4) return scenario_static(arg(argv, 2), arg(argv, 3));
  put("usage: wsalloc-malloccount-probe {malloc K | empty | threads T K | fork K_BEFORE K_BOTH | fork_stress N | families | "
      "static K M}\n");
  return kUsage;
}
