// area_lifetimes.hpp — the four Area lifetimes of a poller thread, each its own type.
//
// A function that takes a MessageArea& cannot be handed the LoopArea by mistake (house rule 2).
// Everything else (ownership, invalidation, limits) is Area's, see area.hpp:
//   LoopArea        reset at the end of every event-loop iteration (Poller::on_iteration_end)
//   MessageArea     reset once a message is fully processed (after its reply is queued)
//   ConnectionArea  reset when its connection closes (then reused for the next connection)
//   TempArea        reset often: scratch inside one step, never held across a callback
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <string_view>

#include "memory/area.hpp"

namespace wsalloc::memory {

// Default (first) block sizes. Chosen, not fitted to a measurement, and they need not be: the
// arena plan (variants/arena/arena_plan.hpp) rebuilds an area whose cycle overflowed its block
// with a block that holds the whole cycle, so steady-state allocation counts do not depend on
// them (the gate measures those); they decide only the idle memory an area holds before any
// traffic grew it, and how many rebuilds a warm-up takes. Why each:
//   loop 128 KiB     the send-queue nodes of one iteration (copies of its replies): a larger
//                    iteration (a receive buffer holds 512 KiB) rebuilds it once to fit.
//   message 64 KiB   one message and its reply, both in the block for messages up to ~32 KiB
//                    (the benchmark's small and medium sizes); larger ones grow the area once.
//   connection 32 KiB  paid by every connection from its first message on (10k connections:
//                    320 MiB), so kept small; a connection that needed more has its area replaced,
//                    at close, by one sized to its high-water mark.
//   temp 16 KiB      scratch inside one step (no current user in the server).
// To see whether they fit a workload: each area's high_water and rebuilds in GET /stats.
inline constexpr std::size_t kLoopAreaBytes = 128 * 1024;       // 128 KiB
inline constexpr std::size_t kMessageAreaBytes = 64 * 1024;     // 64 KiB
inline constexpr std::size_t kConnectionAreaBytes = 32 * 1024;  // 32 KiB
inline constexpr std::size_t kTempAreaBytes = 16 * 1024;        // 16 KiB
// Blocks an area may own before requests overflow to upstream: 16 x the block size bounds what a
// runaway cycle can pin per area (2 MiB for the loop area) while a spike still stays in blocks.
inline constexpr std::size_t kAreaMaxBlocks = 16;

enum class AreaLifetime : std::uint8_t { Loop, Message, Connection, Temp };

template <AreaLifetime L>
struct AreaDefaults;
template <>
struct AreaDefaults<AreaLifetime::Loop> {
  static constexpr std::string_view name = "loop";
  static constexpr std::size_t block_bytes = kLoopAreaBytes;
};
template <>
struct AreaDefaults<AreaLifetime::Message> {
  static constexpr std::string_view name = "message";
  static constexpr std::size_t block_bytes = kMessageAreaBytes;
};
template <>
struct AreaDefaults<AreaLifetime::Connection> {
  static constexpr std::string_view name = "connection";
  static constexpr std::size_t block_bytes = kConnectionAreaBytes;
};
template <>
struct AreaDefaults<AreaLifetime::Temp> {
  static constexpr std::string_view name = "temp";
  static constexpr std::size_t block_bytes = kTempAreaBytes;
};

template <AreaLifetime L>
class LifetimeArea final : public Area {
 public:
  static constexpr AreaLifetime kLifetime = L;

  // Name fixed by the lifetime ("loop", "message", "connection", "temp"); sizes as Area's.
  explicit LifetimeArea(std::size_t block_bytes = AreaDefaults<L>::block_bytes,
                        std::size_t max_blocks = kAreaMaxBlocks,
                        std::pmr::memory_resource* upstream = std::pmr::new_delete_resource())
      : Area(AreaDefaults<L>::name, block_bytes, max_blocks, upstream) {}
};

using LoopArea = LifetimeArea<AreaLifetime::Loop>;
using MessageArea = LifetimeArea<AreaLifetime::Message>;
using ConnectionArea = LifetimeArea<AreaLifetime::Connection>;
using TempArea = LifetimeArea<AreaLifetime::Temp>;

}  // namespace wsalloc::memory
