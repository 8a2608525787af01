// The allocation counter's shared-memory layout and its reader.
//
// libwsalloc-malloccount.so (LD_PRELOAD) writes a CounterFile into the file named by
// WSALLOC_MALLOCCOUNT_FILE; the harness maps the same file read-only and takes snapshots at the
// start and end of a measured window:
//
//   auto before = read_counters("/dev/shm/wsalloc-mc");   // window opens
//   ... drive N messages ...
//   auto after = read_counters("/dev/shm/wsalloc-mc");    // window closes
//   double per_message = double((*after - *before).allocations) / N;
//
// What is counted (the preload library and this header agree on it):
//   family[f].calls  every call of that function, including failed ones and free(nullptr).
//   family[f].bytes  the requested size (calloc: n*m; pvalloc/valloc: the argument, not the
//                    page-rounded size; free: always 0, free() does not know the size).
//   allocations      calls that handed out a block: malloc, calloc, memalign family, and realloc
//                    with a non-zero size (realloc of a live block counts as one allocation AND
//                    one free, moved or not). So allocations - frees == blocks live (of those
//                    allocated while counting).
//   frees            free(p) with p != nullptr, realloc(p, 0) with p != nullptr, and the old
//                    block of a successful realloc(p, n>0).
//   bytes_allocated  requested bytes of the calls counted in `allocations`.
//   failed           calls that returned nullptr / an error (the old block of a failed realloc
//                    stays live and is not counted as freed).
// operator new/delete are not separate families: libstdc++ implements them with malloc/free
// (aligned new with aligned_alloc, its size rounded up to the alignment), so they land there.
// reallocarray counts as realloc.
//
// Writers never share a counter line and never take a lock: each thread claims a shard of its own
// (first come, first served, across every process attached to the file) and adds to it with a
// relaxed load + relaxed store, no lock prefix, since it is the shard's only writer. Threads beyond
// kExclusiveShards share kSharedShards overflow shards with relaxed atomic fetch_add: still exact,
// only slower. A fork child's thread claims a fresh shard before its first count. A snapshot sums
// all shards; taken while the target runs it is not a single instant (harmless for windows millions
// of calls wide); taken while the target is quiescent it is exact.
// Known hole: malloc called from a signal handler that interrupted a count on the same thread can
// lose that one count (calling malloc there is undefined behaviour anyway).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsalloc::malloccount {

inline constexpr const char* kFileEnvVar = "WSALLOC_MALLOCCOUNT_FILE";
inline constexpr uint64_t kCounterMagic = 0x544e434d4c415357ull;  // "WSALMCNT" in memory order
inline constexpr uint32_t kCounterVersion = 1;                     // bump on any layout change
inline constexpr uint32_t kExclusiveShards = 64;  // one per thread, claimed for good (never reused)
inline constexpr uint32_t kSharedShards = 16;     // for every thread after the first 64 (atomic adds)
inline constexpr uint32_t kShardCount = kExclusiveShards + kSharedShards;

enum class Family : uint32_t {
  Malloc, Calloc, Realloc, Free, PosixMemalign, AlignedAlloc, Memalign, Valloc, Pvalloc,
};
inline constexpr uint32_t kFamilyCount = 9;

constexpr std::string_view family_name(Family f) noexcept {
  constexpr std::array<std::string_view, kFamilyCount> names = {
      "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign", "valloc",
      "pvalloc"};
  return static_cast<uint32_t>(f) < kFamilyCount ? names[static_cast<uint32_t>(f)] : "?";
}

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "counters are shared between processes, so the atomics must be address-free");

struct FamilyCounters {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> bytes{0};
};

// One writer's shard. 128-byte aligned: two shards never share a cache line, nor the pair of
// lines that the adjacent-line prefetcher pulls together.
struct alignas(128) CounterShard {
  std::array<FamilyCounters, kFamilyCount> family;  // 144 B
  std::atomic<uint64_t> allocations{0};
  std::atomic<uint64_t> frees{0};
  std::atomic<uint64_t> bytes_allocated{0};
  std::atomic<uint64_t> failed{0};
};
static_assert(sizeof(CounterShard) == 256, "9 families x 16 B + 4 totals x 8 B = 176 B, padded to 2 x 128");

struct alignas(128) CounterHeader {
  std::atomic<uint64_t> magic{0};  // kCounterMagic, stored last (release) by the process that resets the file
  uint32_t version = 0;            // kCounterVersion
  uint32_t file_bytes = 0;         // sizeof(CounterFile): a reader of another build refuses a mismatch
  uint32_t shard_count = 0;        // kShardCount
  uint32_t family_count = 0;       // kFamilyCount
  int32_t creator_pid = 0;         // the process that reset the file
  uint32_t exclusive_shards = 0;   // kExclusiveShards
  uint64_t generation = 0;         // CLOCK_REALTIME ns of the reset: snapshots of different
                                   // generations must not be subtracted
  std::atomic<uint64_t> attaches{0};  // processes that mapped the file: the creator plus exec'd
                                      // descendants that joined it (fork children are `forks`)
  std::atomic<uint64_t> forks{0};     // fork() children that kept counting into the file
  std::atomic<uint64_t> shard_claims{0};  // threads that counted (fork children's threads claim
                                          // again); > kExclusiveShards: the rest share shards
};
static_assert(sizeof(CounterHeader) == 128, "64 B of fields, padded like a shard");

struct CounterFile {
  CounterHeader header;
  std::array<CounterShard, kShardCount> shards;
};
static_assert(sizeof(CounterFile) == 128 + 256 * kShardCount, "the file size (20608 B) is part of version 1");

// A plain (non-atomic) sum over all shards at one moment.
struct FamilySnapshot {
  uint64_t calls = 0;
  uint64_t bytes = 0;
  friend bool operator==(const FamilySnapshot&, const FamilySnapshot&) = default;
};

struct CounterSnapshot {
  uint32_t version = 0;
  int32_t creator_pid = 0;
  uint64_t generation = 0;
  uint64_t attaches = 0;
  uint64_t forks = 0;
  uint64_t shard_claims = 0;
  std::array<FamilySnapshot, kFamilyCount> family{};
  uint64_t allocations = 0;
  uint64_t frees = 0;
  uint64_t bytes_allocated = 0;
  uint64_t failed = 0;

  FamilySnapshot& operator[](Family f) noexcept { return family[static_cast<uint32_t>(f)]; }
  const FamilySnapshot& operator[](Family f) const noexcept { return family[static_cast<uint32_t>(f)]; }
  friend bool operator==(const CounterSnapshot&, const CounterSnapshot&) = default;
};

// Sums a live CounterFile. Does not allocate, so it can run inside a measured window.
inline CounterSnapshot snapshot_of(const CounterFile& file) noexcept {
  CounterSnapshot s;
  s.version = file.header.version;
  s.creator_pid = file.header.creator_pid;
  s.generation = file.header.generation;
  s.attaches = file.header.attaches.load(std::memory_order_relaxed);
  s.forks = file.header.forks.load(std::memory_order_relaxed);
  s.shard_claims = file.header.shard_claims.load(std::memory_order_relaxed);
  for (const CounterShard& shard : file.shards) {
    for (uint32_t f = 0; f < kFamilyCount; ++f) {
      s.family[f].calls += shard.family[f].calls.load(std::memory_order_relaxed);
      s.family[f].bytes += shard.family[f].bytes.load(std::memory_order_relaxed);
    }
    s.allocations += shard.allocations.load(std::memory_order_relaxed);
    s.frees += shard.frees.load(std::memory_order_relaxed);
    s.bytes_allocated += shard.bytes_allocated.load(std::memory_order_relaxed);
    s.failed += shard.failed.load(std::memory_order_relaxed);
  }
  return s;
}

enum class ReadError : uint8_t {
  None,
  CannotOpen,       // open/fstat/mmap failed (errno is left as the failing call set it)
  TooSmall,         // file shorter than sizeof(CounterFile): not created yet, or another layout
  BadMagic,         // not a counter file, or its creator is still resetting it
  VersionMismatch,  // written by a library of another kCounterVersion
  LayoutMismatch,   // same version, different shard/family count or size: a build mix-up
};
std::string_view read_error_name(ReadError e) noexcept;

// Maps `path` read-only, sums it, unmaps. Does not allocate (path is only read through c_str()).
std::optional<CounterSnapshot> read_counters(const std::string& path);
std::optional<CounterSnapshot> read_counters(const std::string& path, ReadError& why);

// Field-wise a - b for the counters (a = later snapshot); identity fields (version, pid,
// generation) are a's. Throws std::invalid_argument when the generations differ (the file was
// reset in between, so the difference means nothing) or when a counter of `a` is below `b`'s.
CounterSnapshot operator-(const CounterSnapshot& a, const CounterSnapshot& b);

}  // namespace wsalloc::malloccount
