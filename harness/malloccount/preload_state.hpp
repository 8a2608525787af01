// Internal to libwsalloc-malloccount.so: where the interposers count, and how a thread finds its
// shard (see counters.hpp for the shard scheme).
//
// Lifetime: g_static lives for the whole process. g_active points at g_static until the
// constructor in preload_attach.cpp has mapped the shared file, then at the mapping, which is
// never unmapped. Counts made before the switch are folded into the file once, right after it.
//
// TLS is initial-exec (__thread, no init function): it is usable inside malloc from the first call
// on any thread, and a preloaded library always sits in the static TLS block.
#pragma once

#include <atomic>

#include "malloccount/counters.hpp"

namespace wsalloc::malloccount::preload {

extern CounterFile g_static;
extern std::atomic<CounterFile*> g_active;

// The file this thread's shard belongs to; a mismatch with g_active (first call, attach, or a
// fork child, whose handler clears it) makes the thread claim a shard in the active file.
extern __thread CounterFile* t_file __attribute__((tls_model("initial-exec")));
extern __thread CounterShard* t_shard __attribute__((tls_model("initial-exec")));
extern __thread bool t_exclusive __attribute__((tls_model("initial-exec")));

[[gnu::noinline]] void claim_shard(CounterFile* file) noexcept;

// This thread's shard. An exclusive shard has one writer, so a relaxed load and store (no lock
// prefix) are exact; an overflow shard needs the atomic add.
struct MyShard {
  CounterShard& shard;
  bool exclusive;

  void add(std::atomic<uint64_t>& counter, uint64_t v) const noexcept {
    if (__builtin_expect(exclusive, 1))
      counter.store(counter.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    else
      counter.fetch_add(v, std::memory_order_relaxed);
  }
  FamilyCounters& family(Family f) const noexcept { return shard.family[static_cast<uint32_t>(f)]; }
};

inline MyShard my_shard() noexcept {
  CounterFile* file = g_active.load(std::memory_order_acquire);
  if (__builtin_expect(file != t_file, 0)) claim_shard(file);
  return {*t_shard, t_exclusive};
}

}  // namespace wsalloc::malloccount::preload
