// SharedState: what every worker reads (configuration, address, timeline) and the few counters they
// share (the --messages budget, the broadcast ring). Written by the coordinator before the workers
// start, except where an atomic says otherwise.
//
// Timeline: the coordinator publishes window_start_ns / window_end_ns with plain stores, then
// start_ns with a release store; a worker that sees start_ns != 0 (acquire) may read them.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "load/config.hpp"
#include "load/payload.hpp"

namespace wsalloc::load {

class Worker;

// Broadcast bookkeeping shared by the sender's worker and every receiver's worker.
struct BroadcastState {
  // Ring of the last kRing messages: send time (for delivery latency, read on other threads) and
  // acks (closed loop: how many receivers resolved the message). 65536 > the largest allowed
  // --pipeline window (32768), so a slot is reused only after its message completed; in the open
  // loop a receiver lagging by more than kRing messages finds its slot reused and counts the
  // delivery as latency_unknown instead of misattributing it.
  static constexpr size_t kRing = 1 << 16;
  struct Slot {
    std::atomic<uint64_t> seq{UINT64_MAX};
    std::atomic<uint64_t> sent_ns{0};
    std::atomic<uint32_t> acks{0};
  };
  std::unique_ptr<Slot[]> ring = std::make_unique<Slot[]>(kRing);
  std::atomic<uint64_t> sent{0};             // sequence numbers < sent have been written
  std::atomic<bool> sending_done{false};     // sent is final
  std::atomic<uint32_t> receivers_live{0};   // receivers with an open connection
  std::atomic<bool> sender_waiting{false};   // the sender's window is full: wake it on completion
  Worker* sender_worker = nullptr;
};

struct SharedState {
  SharedState(const Config& c, const PayloadCatalogue& p) : cfg(c), catalogue(p) {}

  const Config& cfg;
  const PayloadCatalogue& catalogue;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;

  // The window being measured: the coordinator writes start_ns and the window's bounds, then
  // counts it in windows_released (release); a worker starts window n once windows_released >= n.
  std::atomic<uint64_t> start_ns{0};
  uint64_t window_start_ns = 0;        // start + warm-up
  uint64_t window_end_ns = UINT64_MAX; // window start + duration (UINT64_MAX: --messages only)
  std::atomic<uint64_t> windows_released{0};

  // --hold: a worker that drained a window snapshots its results, counts itself here (release)
  // and waits for the next window, or for end_hold to close its connections.
  std::atomic<size_t> held{0};
  std::atomic<bool> end_hold{false};

  std::atomic<bool> stop{false};       // SIGINT/SIGTERM or no connection: stop sending, drain, close
  std::atomic<bool> abort{false};      // hard timeout: leave now
  std::atomic<size_t> setup_done{0};   // workers whose initial connects have all settled

  // --messages: sends left in the measured window; workers take slices of kBudgetSlice.
  static constexpr int64_t kBudgetSlice = 64;
  std::atomic<int64_t> budget{INT64_MAX};
  bool budget_limited = false;

  BroadcastState broadcast;
};

}  // namespace wsalloc::load
