#pragma once
// broadcast_hub.hpp: /broadcast messages from one poller thread to the others.
//
// Mechanism: one preallocated ring per publishing thread (single producer: that thread; every other
// thread a consumer with its own read position). A message is framed once, by its publisher's
// thread, and copied once into that thread's ring; every other thread reads it from there and
// hands the same bytes to each of its members. So a message costs one frame and one copy per
// publishing thread, not one per member or per thread pair, and nothing is allocated per message:
// the rings are allocated when the server starts, positions are atomics, and the only wake-up is
// Poller::post_completion of a one-pointer callback (no heap: std::function's small-buffer
// storage), sent only when the consumer is not already due to drain (wake_pending).
// Why not shared buffers with reference counts from a pool: a pool shared by all threads needs a
// thread-safe free path (the last reader frees on its own thread), and a reference-counted block
// per message costs an atomic decrement per reading thread; the ring needs neither, and a reader
// simply moves its position on. Its cost is a fixed ring per thread (kRingBytes).
// Memory: kRingBytes per poller thread when there are 2 or more (threads x 1 MiB); none for one.
//
// Order: a thread's ring is read in the order it was written, so every member sees one publisher's
// messages in the order they were sent (members on the publisher's own thread get them at once,
// in the same order).
//
// Full ring (a thread lags by a whole ring): the publisher waits, and while it waits it drains its
// own inbound messages (consume_inbound), so two threads publishing to each other can never wait
// on each other; a thread whose loop has ended is detached and no longer waited for. A slow member
// never makes a ring fill: its thread copies what the member's socket does not take into that
// member's backlog and closes it 1008 past --max-backlog, as for a member on the publisher's thread.
//
// Messages above ring/4 do not fit the ring comfortably: they go into one block allocated for the
// message (one allocation per such message, counted in stats as shared_frames) that the ring
// references, so order is kept for them too. The publishing thread frees a block once every
// thread has read past its record; at most kMaxSharedBytes of them are outstanding per ring
// (beyond, the publisher waits as for a full ring).
#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace wsalloc::variants {

class BroadcastHub {
 public:
  // A power of two: 16384 messages of 64 B may wait for a lagging thread before a publisher does.
  static constexpr size_t kRingBytes = size_t{1} << 20;
  static_assert((kRingBytes & (kRingBytes - 1)) == 0, "positions wrap with a mask");
  static constexpr size_t kMaxSharedBytes = size_t{64} << 20;

  // REQUIRES: threads >= 1; ring_bytes a power of two >= 4096.
  explicit BroadcastHub(unsigned threads, size_t ring_bytes = kRingBytes);
  // Frees the blocks of large messages still referenced from the rings. All threads have ended.
  ~BroadcastHub();
  BroadcastHub(const BroadcastHub&) = delete;
  BroadcastHub& operator=(const BroadcastHub&) = delete;

  unsigned threads() const noexcept { return threads_; }

  // Before thread t's loop starts: how to make it drain (thread-safe to call from any thread).
  void attach(unsigned t, std::function<void()> wake);
  // Thread t's loop has ended: publishers no longer wait for it or wake it.
  void detach(unsigned t) noexcept;

  // On thread t: one framed message (`frame`: the segments of header + payload) for every other
  // thread. Waits (running consume_inbound(), then yielding) while t's ring has no room.
  template <class ConsumeInbound>
  void publish(unsigned t, std::span<const iovec> frame, ConsumeInbound&& consume_inbound) {
    const size_t bytes = total(frame);
    const bool shared = bytes > ring_bytes_ / 4;
    const size_t need = record_size(shared ? sizeof(void*) : bytes);
    uint64_t at;
    while (!try_reserve(t, need, at)) {
      consume_inbound();
      wait_a_little(t);
    }
    write(t, at, frame, bytes, shared);
  }

  // On thread t, when its wake-up runs (before drain): later messages wake it again. Until then
  // publishers do not, so at most one wake-up per thread is pending.
  void woken(unsigned t) noexcept;

  // On thread t: deliver(std::span<const uint8_t> frame) for every message the other threads
  // published since t's last drain, each thread's in its order. Returns how many.
  template <class Deliver>
  size_t drain(unsigned t, Deliver&& deliver) {
    size_t n = 0;
    for (unsigned p = 0; p < threads_; ++p) {
      if (p == t) continue;
      Cursor cur = open(p, t);
      std::span<const uint8_t> frame;
      while (next(cur, frame)) {
        deliver(frame);
        advance(cur);
        ++n;
      }
    }
    return n;
  }

  // {"ring_bytes":..,"published":..,"waits":..,"shared_frames":..} for thread t's ring (its own counters).
  std::string stats_json(unsigned t) const;

 private:
  struct Ring;
  struct Consumer;
  struct Cursor {  // one consumer's walk through one ring
    Ring* ring;
    unsigned reader;
    uint64_t pos, end;
    size_t record = 0;  // size of the record `next` returned, for `advance`
  };

  static size_t total(std::span<const iovec> frame) noexcept;
  static size_t record_size(size_t payload) noexcept { return 8 + ((payload + 7) & ~size_t{7}); }
  bool try_reserve(unsigned t, size_t need, uint64_t& at) noexcept;
  void write(unsigned t, uint64_t at, std::span<const iovec> frame, size_t bytes, bool shared);
  void wait_a_little(unsigned t) noexcept;
  Cursor open(unsigned ring, unsigned reader) noexcept;
  bool next(Cursor& c, std::span<const uint8_t>& frame) noexcept;
  void advance(Cursor& c) noexcept;

  unsigned threads_;
  size_t ring_bytes_;
  std::unique_ptr<Ring[]> rings_;
  std::unique_ptr<Consumer[]> consumers_;
};

}  // namespace wsalloc::variants
