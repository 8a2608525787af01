#pragma once
// arena_plan.hpp: the arena variant's MemoryPlan — the shared pmr pipeline on bump areas.
//
//   message()     MessageArea, reset after every message (and at the end of every iteration, for
//                 the pongs and close frames sent outside a message)
//   send()        LoopArea, reset at the end of every event-loop iteration: send-queue nodes live
//                 only until the event's flush
//   connection    one ConnectionArea per connection, recycled: reset (keeping its first block) when
//                 the connection closes and handed to the next one
//
// Growth: an area whose cycle overflowed to the heap is rebuilt with a block that holds the whole
// cycle (next power of two), so after a warm-up that has seen the largest message, messages up to
// max-message make no heap allocation. A connection area that overflowed is likewise replaced, when
// its connection closes, by one whose block holds that connection's high-water mark. Cost per
// connection: sizeof(ConnectionArea) while idle, plus its first block (32 KiB, or what an earlier
// connection needed) from its first message on; the block stays with the recycled area.
// Idle areas keep grown blocks of at most 2 MiB, 4 MiB in all: beyond that a released area is
// replaced by a default one. Without that bound, areas grown one at a time (each slow consumer's
// backlog makes one a few MiB) ratchet idle memory up to peak connections x largest block.
// Every area takes its blocks and overflows from one PageResource: those of 128 KiB and more are
// mapped and unmapped directly, so what an area gives back leaves the process (page_resource.hpp).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "memory/area_lifetimes.hpp"
#include "memory/page_resource.hpp"
#include "variants/memory_plan.hpp"

namespace wsalloc::variants {

// A connection's area, knowing its place in the plan's list of live areas: a close removes it in
// O(1) (a search of the list made closing 10k connections quadratic).
class LiveConnectionArea final : public memory::Area {
 public:
  static constexpr size_t kNotLive = SIZE_MAX;
  LiveConnectionArea(size_t block_bytes, size_t max_blocks, std::pmr::memory_resource* upstream)
      : Area(memory::AreaDefaults<memory::AreaLifetime::Connection>::name, block_bytes, max_blocks, upstream) {}
  size_t live_index = kNotLive;  // position in ArenaPlan::live_, kNotLive while idle
};

class ArenaPlan final : public MemoryPlan {
 public:
  using LoopArea = memory::LifetimeArea<memory::AreaLifetime::Loop>;
  using MessageArea = memory::LifetimeArea<memory::AreaLifetime::Message>;
  using ConnectionArea = LiveConnectionArea;

  ArenaPlan();
  ~ArenaPlan() override;

  std::pmr::memory_resource* message() noexcept override { return message_.get(); }
  std::pmr::memory_resource* send() noexcept override { return loop_.get(); }
  std::pmr::memory_resource* acquire_connection() override;
  void release_connection(std::pmr::memory_resource* r) noexcept override;
  void after_message() noexcept override;
  void after_iteration() noexcept override;
  // A connection area frees nothing singly: a backlog's capacity comes back when the connection
  // closes (the area is reset), within the idle budget above.
  bool gives_back_connection_memory() const noexcept override { return false; }
  std::string stats_json() const override;
  // The page mappings behind every area (blocks and overflows of 128 KiB and more).
  uint64_t page_maps() const noexcept override { return pages_.stats().maps; }

 private:
  template <class AreaT>
  void reset_or_grow(std::unique_ptr<AreaT>& area, uint64_t& overflows_seen) noexcept;
  ConnectionArea* new_connection_area();

  memory::PageResource pages_;  // upstream of every area below: declared first, destroyed last

  std::unique_ptr<LoopArea> loop_;
  std::unique_ptr<MessageArea> message_;
  std::vector<std::unique_ptr<ConnectionArea>> idle_connection_areas_;
  std::vector<ConnectionArea*> live_;  // for statistics; each knows its index (live_index)
  void add_live(ConnectionArea* area);
  void remove_live(ConnectionArea* area) noexcept;
  uint64_t connection_areas_created_ = 0;
  uint64_t rebuilds_ = 0;
  uint64_t shrinks_ = 0;          // areas not grown, or replaced by default ones, on release
                                  // because idle areas kept their budget of grown blocks
  size_t idle_grown_bytes_ = 0;   // blocks of idle areas larger than the default, in bytes
  uint64_t message_overflows_seen_ = 0;
  uint64_t loop_overflows_seen_ = 0;
};

}  // namespace wsalloc::variants
