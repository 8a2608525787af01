// Reading a counter file from outside the counted process.
#include "malloccount/counters.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include <fmt/format.h>

namespace wsalloc::malloccount {

std::string_view read_error_name(ReadError e) noexcept {
  switch (e) {
    case ReadError::None: return "none";
    case ReadError::CannotOpen: return "cannot open";
    case ReadError::TooSmall: return "file too small";
    case ReadError::BadMagic: return "bad magic";
    case ReadError::VersionMismatch: return "version mismatch";
    case ReadError::LayoutMismatch: return "layout mismatch";
  }
  return "?";
}

namespace {

ReadError check_header(const CounterHeader& h) noexcept {
  if (h.magic.load(std::memory_order_acquire) != kCounterMagic) return ReadError::BadMagic;
  if (h.version != kCounterVersion) return ReadError::VersionMismatch;
  if (h.file_bytes != sizeof(CounterFile) || h.shard_count != kShardCount || h.family_count != kFamilyCount ||
      h.exclusive_shards != kExclusiveShards)
    return ReadError::LayoutMismatch;
  return ReadError::None;
}

}  // namespace

std::optional<CounterSnapshot> read_counters(const std::string& path, ReadError& why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = ReadError::CannotOpen;
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    why = ReadError::CannotOpen;
    return std::nullopt;
  }
  if (st.st_size < static_cast<off_t>(sizeof(CounterFile))) {
    ::close(fd);
    why = ReadError::TooSmall;
    return std::nullopt;
  }
  // A shared read-only mapping sees the writers' stores as they happen; read() could tear a counter.
  void* map = ::mmap(nullptr, sizeof(CounterFile), PROT_READ, MAP_SHARED, fd, 0);
  int saved = errno;
  ::close(fd);
  if (map == MAP_FAILED) {
    errno = saved;
    why = ReadError::CannotOpen;
    return std::nullopt;
  }
  const auto& file = *static_cast<const CounterFile*>(map);
  std::optional<CounterSnapshot> result;
  why = check_header(file.header);
  if (why == ReadError::None) result.emplace(snapshot_of(file));
  ::munmap(map, sizeof(CounterFile));
  return result;
}

std::optional<CounterSnapshot> read_counters(const std::string& path) {
  ReadError ignored = ReadError::None;
  return read_counters(path, ignored);
}

namespace {

uint64_t sub(uint64_t a, uint64_t b, std::string_view what) {
  if (a < b)
    throw std::invalid_argument(
        fmt::format("counter snapshot difference: {} went backwards ({} < {}); pass the later snapshot first",
                    what, a, b));
  return a - b;
}

}  // namespace

CounterSnapshot operator-(const CounterSnapshot& a, const CounterSnapshot& b) {
  if (a.generation != b.generation)
    throw std::invalid_argument(fmt::format(
        "counter snapshot difference: generation {} != {}; the counter file was reset in between", a.generation,
        b.generation));
  CounterSnapshot d = a;
  d.attaches = sub(a.attaches, b.attaches, "attaches");
  d.forks = sub(a.forks, b.forks, "forks");
  d.shard_claims = sub(a.shard_claims, b.shard_claims, "shard_claims");
  for (uint32_t f = 0; f < kFamilyCount; ++f) {
    std::string_view name = family_name(static_cast<Family>(f));
    d.family[f].calls = sub(a.family[f].calls, b.family[f].calls, name);
    d.family[f].bytes = sub(a.family[f].bytes, b.family[f].bytes, name);
  }
  d.allocations = sub(a.allocations, b.allocations, "allocations");
  d.frees = sub(a.frees, b.frees, "frees");
  d.bytes_allocated = sub(a.bytes_allocated, b.bytes_allocated, "bytes_allocated");
  d.failed = sub(a.failed, b.failed, "failed");
  return d;
}

}  // namespace wsalloc::malloccount
