// libwsalloc-malloccount.so, part 1 of 2: attaching the counters to WSALLOC_MALLOCCOUNT_FILE.
//
// Who resets the file: the file carries two one-byte OFD record locks. Byte 0 serialises processes
// that are attaching; byte 1 is held SHARED by every live process attached to the file (the lock
// belongs to the open file description, so fork children share it and it lasts until the last
// of them exits). A process that finds byte 1 unlocked is the only user: it resets the file (new
// generation) and becomes its creator. A process that finds it locked joins: it adds to the same
// counters without resetting them. This is what keeps a server's counts when it (or a wrapper
// shell) execs a child that inherits LD_PRELOAD and the variable, and it survives stale files and
// recycled pids, which a pid-in-the-header check would not.
//
// fork(): the mapping is MAP_SHARED, so a fork child keeps counting into the same file (a
// pre-fork server is measured as a whole); header.forks counts such children, and the child's
// thread claims a shard of its own. Nothing here takes a lock on the allocation path, so fork
// cannot deadlock on us.
//
// Without the variable (or when the file cannot be used, reported once on stderr) counting goes on
// in process memory, readable in-process through wsalloc_malloccount_counters().
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "malloccount/preload_state.hpp"

#define WSALLOC_EXPORT __attribute__((visibility("default")))

namespace wsalloc::malloccount::preload {

constinit CounterFile g_static{};
constinit std::atomic<CounterFile*> g_active{&g_static};

}  // namespace wsalloc::malloccount::preload

using wsalloc::malloccount::CounterFile;

// In-process view of the counters (the static block, or the shared mapping once attached). Found
// with dlsym(RTLD_DEFAULT, "wsalloc_malloccount_counters") by code that wants to read its own
// counts without a file.
extern "C" WSALLOC_EXPORT const CounterFile* wsalloc_malloccount_counters() noexcept {
  return wsalloc::malloccount::preload::g_active.load(std::memory_order_acquire);
}

namespace wsalloc::malloccount::preload {
namespace {

// stderr diagnostics with write(2) only: stdio may allocate, and we run before main.
void put(const char* s) noexcept {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void warn(const char* op, const char* path, int err, const char* detail) noexcept {
  char num[16];
  int i = sizeof num - 1;
  num[i] = '\0';
  unsigned v = static_cast<unsigned>(err);
  do {
    num[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  put("wsalloc-malloccount: ");
  put(op);
  put("(");
  put(path);
  put(") failed: errno ");
  put(num + i);
  if (*detail != '\0') {
    put(" ");
    put(detail);
  }
  put("; counting in process memory only\n");
}

// One-byte OFD lock at `offset`; `wait` blocks (F_OFD_SETLKW). Returns 0 or the errno.
int lock_byte(int fd, short type, off_t offset, bool wait) noexcept {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  for (;;) {
    if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

constexpr off_t kAttachLockByte = 0;  // held exclusively while a process attaches
constexpr off_t kAliveLockByte = 1;   // held shared by every attached process
constexpr int kQuietFdFloor = 900;     // below the usual soft RLIMIT_NOFILE of 1024

void zero(std::atomic<uint64_t>& a) noexcept { a.store(0, std::memory_order_relaxed); }

void reset_file(CounterFile& f) noexcept {
  // A reader that maps the file meanwhile sees no magic and refuses it until we are done.
  f.header.magic.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  for (CounterShard& s : f.shards) {
    for (FamilyCounters& fam : s.family) {
      zero(fam.calls);
      zero(fam.bytes);
    }
    zero(s.allocations);
    zero(s.frees);
    zero(s.bytes_allocated);
    zero(s.failed);
  }
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  f.header.version = kCounterVersion;
  f.header.file_bytes = sizeof(CounterFile);
  f.header.shard_count = kShardCount;
  f.header.family_count = kFamilyCount;
  f.header.creator_pid = static_cast<int32_t>(::getpid());
  f.header.exclusive_shards = kExclusiveShards;
  f.header.generation = static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
  zero(f.header.attaches);
  zero(f.header.forks);
  zero(f.header.shard_claims);
  f.header.magic.store(kCounterMagic, std::memory_order_release);
}

bool header_matches(const CounterHeader& h) noexcept {
  return h.magic.load(std::memory_order_acquire) == kCounterMagic && h.version == kCounterVersion &&
         h.file_bytes == sizeof(CounterFile) && h.shard_count == kShardCount && h.family_count == kFamilyCount &&
         h.exclusive_shards == kExclusiveShards;
}

uint64_t take(std::atomic<uint64_t>& from) noexcept { return from.exchange(0, std::memory_order_relaxed); }

// Counts made before the file was mapped (dynamic loader, other libraries' constructors) belong to
// this process too; they go into the shard this thread claims in the file (any other shard may be
// another process's thread's, which only that thread may write). Runs after g_active switched, so
// nothing new lands in g_static meanwhile (constructors run before the program's threads exist).
void fold_static_into_my_shard() noexcept {
  const MyShard my = my_shard();
  CounterShard& to = my.shard;
  for (CounterShard& from : g_static.shards) {
    for (uint32_t k = 0; k < kFamilyCount; ++k) {
      my.add(to.family[k].calls, take(from.family[k].calls));
      my.add(to.family[k].bytes, take(from.family[k].bytes));
    }
    my.add(to.allocations, take(from.allocations));
    my.add(to.frees, take(from.frees));
    my.add(to.bytes_allocated, take(from.bytes_allocated));
    my.add(to.failed, take(from.failed));
  }
}

// The child's only thread must not keep writing the parent thread's exclusive shard in the
// shared file: forget it, so the next count claims a fresh one.
void on_fork_child() noexcept {
  g_active.load(std::memory_order_relaxed)->header.forks.fetch_add(1, std::memory_order_relaxed);
  t_file = nullptr;
}

// Returns the mapped file, or nullptr after a warning. On success `fd` stays open for good: its
// open file description holds the shared lock on kAliveLockByte.
CounterFile* attach_file(const char* path) noexcept {
  int fd = ::open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    warn("open", path, errno, "");
    return nullptr;
  }
  // Park the descriptor high: the program may dup2() onto low numbers (3 for socket activation)
  // or expect them free, and closing ours would drop the alive lock. Kept as is if the limit is low.
  if (int high = ::fcntl(fd, F_DUPFD_CLOEXEC, kQuietFdFloor); high >= 0) {
    ::close(fd);
    fd = high;
  }
  auto fail = [&](const char* op, int err, const char* detail) -> CounterFile* {
    warn(op, path, err, detail);
    ::close(fd);  // drops every OFD lock this description holds
    return nullptr;
  };
  if (int err = lock_byte(fd, F_WRLCK, kAttachLockByte, true)) return fail("fcntl(F_OFD_SETLKW)", err, "(attach lock)");
  int busy = lock_byte(fd, F_WRLCK, kAliveLockByte, false);
  if (busy != 0 && busy != EAGAIN && busy != EACCES) return fail("fcntl(F_OFD_SETLK)", busy, "(alive lock)");
  const bool creator = busy == 0;

  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail("fstat", errno, "");
  if (creator) {
    // Only a size change truncates: shrinking a file that a reader has mapped would SIGBUS it.
    if (st.st_size != static_cast<off_t>(sizeof(CounterFile)) && ::ftruncate(fd, sizeof(CounterFile)) != 0)
      return fail("ftruncate", errno, "");
  } else if (st.st_size < static_cast<off_t>(sizeof(CounterFile))) {
    return fail("fstat", EINVAL, "(file in use by another process but smaller than a counter file)");
  }
  void* map = ::mmap(nullptr, sizeof(CounterFile), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail("mmap", errno, "");
  auto* file = static_cast<CounterFile*>(map);
  if (creator) {
    reset_file(*file);
  } else if (!header_matches(file->header)) {
    ::munmap(map, sizeof(CounterFile));
    return fail("attach", EINVAL, "(file in use by a counter library of another version)");
  }
  // Creator: exclusive -> shared, atomically (record-lock conversion). Joiner: one more reader.
  if (int err = lock_byte(fd, F_RDLCK, kAliveLockByte, false)) {
    ::munmap(map, sizeof(CounterFile));
    return fail("fcntl(F_OFD_SETLK)", err, "(alive lock, shared)");
  }
  file->header.attaches.fetch_add(1, std::memory_order_relaxed);
  lock_byte(fd, F_UNLCK, kAttachLockByte, false);
  return file;
}

// Priority 101: as early as a constructor of this library can run; other libraries may still
// allocate before it, and those calls go to g_static and are folded in.
[[gnu::constructor(101)]] void attach_at_load() noexcept {
  ::pthread_atfork(nullptr, nullptr, on_fork_child);
  const char* path = std::getenv(kFileEnvVar);
  if (path == nullptr || *path == '\0') return;
  CounterFile* file = attach_file(path);
  if (file == nullptr) return;
  g_active.store(file, std::memory_order_release);
  fold_static_into_my_shard();
}

}  // namespace
}  // namespace wsalloc::malloccount::preload
