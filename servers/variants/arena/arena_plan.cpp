#include "variants/arena/arena_plan.hpp"

#include <algorithm>
#include <bit>

#include "memory/stats_json.hpp"

namespace wsalloc::variants {
namespace {

// A block large enough for a 16 MiB message plus its frame header and alignment: the default
// max-message. Beyond it an area keeps overflowing (counted), it does not grow without bound.
constexpr size_t kLargestBlock = size_t{32} << 20;

// What idle connection areas may keep in grown blocks, per poller thread, and the largest block
// one may keep: enough for a few reconnecting clients of a large-message workload to find their
// area ready, not enough for one-off peaks (a slow consumer's backlog: MiBs) to accumulate.
constexpr size_t kIdleGrownBudget = size_t{4} << 20;
constexpr size_t kLargestIdleBlock = size_t{2} << 20;  // a 1 MiB message plus its header

size_t grown_bytes(size_t block_bytes) noexcept {
  return block_bytes > memory::kConnectionAreaBytes ? block_bytes : 0;
}

// If this cycle overflowed, returns a new area whose one block holds the whole cycle; else null.
// Called before reset(), while the cycle's figures are still in stats().
template <class AreaT>
std::unique_ptr<AreaT> rebuilt_if_overflowed(const AreaT& area, uint64_t& overflows_seen,
                                             std::pmr::memory_resource* upstream) {
  auto s = area.stats();
  if (s.overflow_fallbacks == overflows_seen) return nullptr;
  overflows_seen = s.overflow_fallbacks;
  size_t want = std::bit_ceil(std::max(s.bytes_in_use, area.block_bytes()) + area.block_bytes());
  want = std::min(want, kLargestBlock);
  if (want <= area.block_bytes()) return nullptr;
  return std::make_unique<AreaT>(want, memory::kAreaMaxBlocks, upstream);
}

}  // namespace

ArenaPlan::ArenaPlan()
    : loop_(std::make_unique<LoopArea>(memory::kLoopAreaBytes, memory::kAreaMaxBlocks, &pages_)),
      message_(std::make_unique<MessageArea>(memory::kMessageAreaBytes, memory::kAreaMaxBlocks, &pages_)) {}

ArenaPlan::~ArenaPlan() = default;

std::pmr::memory_resource* ArenaPlan::acquire_connection() {
  ConnectionArea* area;
  if (!idle_connection_areas_.empty()) {
    area = idle_connection_areas_.back().release();
    idle_connection_areas_.pop_back();
    idle_grown_bytes_ -= grown_bytes(area->block_bytes());
  } else {
    area = new_connection_area();
    ++connection_areas_created_;
  }
  try {
    add_live(area);
  } catch (...) {
    delete area;
    throw;
  }
  return area;
}

void ArenaPlan::add_live(ConnectionArea* area) {
  live_.push_back(area);
  area->live_index = live_.size() - 1;
}

void ArenaPlan::remove_live(ConnectionArea* area) noexcept {
  const size_t i = area->live_index;
  if (i >= live_.size() || live_[i] != area) return;  // not live (cannot happen: acquired here)
  live_[i] = live_.back();
  live_[i]->live_index = i;
  live_.pop_back();
  area->live_index = ConnectionArea::kNotLive;
}

void ArenaPlan::release_connection(std::pmr::memory_resource* r) noexcept {
  auto* area = static_cast<ConnectionArea*>(r);
  remove_live(area);
  // A connection that outgrew its area (large messages) hands the next one an area whose one
  // block holds what it needed, so a reconnecting client of the same workload allocates nothing;
  // unless idle areas already keep their budget of grown blocks.
  bool budget_refused = false;
  if (auto s = area->stats(); s.overflow_fallbacks > 0) {
    size_t want = std::min(std::bit_ceil(s.high_water + area->block_bytes()), kLargestIdleBlock);
    if (want > area->block_bytes() && idle_grown_bytes_ + want > kIdleGrownBudget) {
      budget_refused = true;
    } else if (want > area->block_bytes()) {
      try {
        auto bigger = std::make_unique<ConnectionArea>(want, memory::kAreaMaxBlocks, &pages_);
        bigger->reserve_blocks(1);  // now, not on the next connection's first message
        delete area;
        area = bigger.release();
        ++rebuilds_;
      } catch (const std::bad_alloc&) {
        // keep the old one; it overflows (counted) again
      }
    }
  }
  area->reset(memory::Retain::FirstBlock);
  size_t grown = grown_bytes(area->block_bytes());
  if (grown != 0 && idle_grown_bytes_ + grown > kIdleGrownBudget) {
    budget_refused = true;
    try {
      auto* fresh = new_connection_area();
      delete area;
      area = fresh;
      grown = 0;
    } catch (const std::bad_alloc&) {
      // keep the grown one: the budget is a bound on retention, not worth failing over
    }
  }
  if (budget_refused) ++shrinks_;
  try {
    idle_connection_areas_.emplace_back(area);
    idle_grown_bytes_ += grown;
  } catch (...) {
    delete area;  // cannot keep it for reuse: give it back
  }
}

ArenaPlan::ConnectionArea* ArenaPlan::new_connection_area() {
  return new ConnectionArea(memory::kConnectionAreaBytes, memory::kAreaMaxBlocks, &pages_);
}

void ArenaPlan::after_message() noexcept { reset_or_grow(message_, message_overflows_seen_); }

void ArenaPlan::after_iteration() noexcept {
  reset_or_grow(message_, message_overflows_seen_);  // pongs and close frames sent outside a message
  reset_or_grow(loop_, loop_overflows_seen_);
}

template <class AreaT>
void ArenaPlan::reset_or_grow(std::unique_ptr<AreaT>& area, uint64_t& overflows_seen) noexcept {
  if (area->stats().overflow_fallbacks != overflows_seen) {
    try {
      if (auto bigger = rebuilt_if_overflowed(*area, overflows_seen, &pages_)) {
        area = std::move(bigger);  // the old area and its overflow allocations go back now
        overflows_seen = 0;
        ++rebuilds_;
        return;
      }
    } catch (const std::bad_alloc&) {
      // no memory for a bigger block: keep the area; it overflows (counted) next time too
    }
  }
  area->reset();
}

std::string ArenaPlan::stats_json() const {
  nlohmann::json j;
  j["plan"] = "arena";
  j["loop"] = memory::stats_json(*loop_);
  j["message"] = memory::stats_json(*message_);
  j["connection_areas"] = {{"created", connection_areas_created_},
                           {"live", live_.size()},
                           {"idle", idle_connection_areas_.size()}};
  size_t high = 0, blocks = 0, overflows = 0;
  for (ConnectionArea* a : live_) {
    auto s = a->stats();
    high = std::max(high, s.high_water);
    blocks += s.blocks;
    overflows += s.overflow_fallbacks;
  }
  j["connection_areas"]["live_high_water_max"] = high;
  j["connection_areas"]["live_blocks"] = blocks;
  j["connection_areas"]["live_overflow_fallbacks"] = overflows;
  j["connection_areas"]["idle_grown_bytes"] = idle_grown_bytes_;
  j["connection_areas"]["shrinks"] = shrinks_;
  j["rebuilds"] = rebuilds_;
  auto pages = pages_.stats();
  j["pages"] = {{"threshold", pages.threshold}, {"maps", pages.maps}, {"unmaps", pages.unmaps},
                {"mapped_bytes", pages.mapped_bytes}};
  return j.dump();
}

}  // namespace wsalloc::variants
