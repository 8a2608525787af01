#include "variants/broadcast_hub.hpp"

#include <sched.h>

#include <cstring>
#include <new>
#include <stdexcept>

namespace wsalloc::variants {
namespace {

// A record: this head, then `bytes` of payload, padded to 8. Records lie back to back from
// position 0; one that would not fit before the end of the ring is preceded by a Wrap record that
// fills the rest (every record is 8-aligned, so the rest is 0 or >= 8 bytes).
enum Kind : uint32_t { kInline = 1, kShared = 2, kWrap = 3 };
struct Head {
  uint32_t bytes;
  uint32_t kind;
};
static_assert(sizeof(Head) == 8, "records stay 8-aligned");

// A large message's frame, outside the ring; the ring's record holds its address.
struct SharedFrame {
  size_t size;
  uint8_t* data() noexcept { return reinterpret_cast<uint8_t*>(this + 1); }
};

struct alignas(64) Position {  // one per cache line: readers do not slow each other down
  std::atomic<uint64_t> value{0};
};

}  // namespace

struct BroadcastHub::Ring {
  std::unique_ptr<uint8_t[]> bytes;
  std::unique_ptr<Position[]> read;       // per reading thread (the publisher's own is unused)
  alignas(64) std::atomic<uint64_t> write{0};
  // Publisher's thread only:
  uint64_t min_read = 0;        // every live reader is at or past it (refreshed when short of room)
  uint64_t reclaimed = 0;       // records before it have had their shared block freed
  size_t shared_outstanding = 0;  // bytes of shared blocks not yet freed
  uint64_t published = 0, waits = 0, shared_frames = 0;
};

struct BroadcastHub::Consumer {
  std::function<void()> wake;
  alignas(64) std::atomic<bool> wake_pending{false};
  std::atomic<bool> detached{false};
};

BroadcastHub::BroadcastHub(unsigned threads, size_t ring_bytes)
    : threads_(threads), ring_bytes_(ring_bytes), rings_(new Ring[threads]), consumers_(new Consumer[threads]) {
  if (threads == 0) throw std::invalid_argument("BroadcastHub: 0 threads");
  if (ring_bytes < 4096 || (ring_bytes & (ring_bytes - 1)) != 0) {
    throw std::invalid_argument("BroadcastHub: ring of " + std::to_string(ring_bytes) + " B: need a power of two >= 4096");
  }
  for (unsigned t = 0; t < threads; ++t) {
    if (threads == 1) break;  // nobody to publish to: no ring
    rings_[t].bytes = std::make_unique<uint8_t[]>(ring_bytes);
    rings_[t].read = std::make_unique<Position[]>(threads);
  }
}

BroadcastHub::~BroadcastHub() {
  for (unsigned t = 0; t < threads_; ++t) {
    Ring& r = rings_[t];
    if (!r.bytes) continue;
    const uint64_t end = r.write.load(std::memory_order_acquire);
    for (uint64_t p = r.reclaimed; p < end;) {
      Head h;
      std::memcpy(&h, r.bytes.get() + (p & (ring_bytes_ - 1)), sizeof h);
      if (h.kind == kShared) {
        SharedFrame* f;
        std::memcpy(&f, r.bytes.get() + (p & (ring_bytes_ - 1)) + sizeof h, sizeof f);
        ::operator delete(f);
      }
      p += record_size(h.bytes);
    }
  }
}

void BroadcastHub::attach(unsigned t, std::function<void()> wake) { consumers_[t].wake = std::move(wake); }

void BroadcastHub::detach(unsigned t) noexcept { consumers_[t].detached.store(true, std::memory_order_seq_cst); }

size_t BroadcastHub::total(std::span<const iovec> frame) noexcept {
  size_t n = 0;
  for (const iovec& v : frame) n += v.iov_len;
  return n;
}

// Producer side ------------------------------------------------------------------------------

bool BroadcastHub::try_reserve(unsigned t, size_t need, uint64_t& at) noexcept {
  Ring& r = rings_[t];
  const uint64_t w = r.write.load(std::memory_order_relaxed);  // only this thread writes it
  const size_t tail = ring_bytes_ - (w & (ring_bytes_ - 1));
  const size_t span = need <= tail ? need : tail + need;
  auto room = [&] { return w + span - r.min_read <= ring_bytes_; };
  if (!room() || r.shared_outstanding > kMaxSharedBytes) {
    // Where is the slowest live reader? A reader that has detached is never waited for again.
    uint64_t lowest = w;
    for (unsigned c = 0; c < threads_; ++c) {
      if (c == t || consumers_[c].detached.load(std::memory_order_seq_cst)) continue;
      const uint64_t p = r.read[c].value.load(std::memory_order_acquire);
      if (p < lowest) lowest = p;
    }
    r.min_read = lowest;
    // Free the large messages every reader is done with.
    while (r.reclaimed < r.min_read) {
      const size_t off = r.reclaimed & (ring_bytes_ - 1);
      Head h;
      std::memcpy(&h, r.bytes.get() + off, sizeof h);
      if (h.kind == kShared) {
        SharedFrame* f;
        std::memcpy(&f, r.bytes.get() + off + sizeof h, sizeof f);
        r.shared_outstanding -= f->size;
        ::operator delete(f);
      }
      r.reclaimed += record_size(h.bytes);
    }
    if (!room() || r.shared_outstanding > kMaxSharedBytes) return false;
  }
  if (need > tail) {
    const Head wrap{static_cast<uint32_t>(tail - sizeof(Head)), kWrap};
    std::memcpy(r.bytes.get() + (w & (ring_bytes_ - 1)), &wrap, sizeof wrap);
    at = w + tail;
  } else {
    at = w;
  }
  return true;
}

void BroadcastHub::write(unsigned t, uint64_t at, std::span<const iovec> frame, size_t bytes, bool shared) {
  Ring& r = rings_[t];
  uint8_t* rec = r.bytes.get() + (at & (ring_bytes_ - 1));
  const Head h{static_cast<uint32_t>(shared ? sizeof(void*) : bytes), shared ? kShared : kInline};
  std::memcpy(rec, &h, sizeof h);
  uint8_t* out = rec + sizeof h;
  if (shared) {
    auto* f = new (::operator new(sizeof(SharedFrame) + bytes)) SharedFrame{bytes};
    out = f->data();
    std::memcpy(rec + sizeof h, &f, sizeof f);
    r.shared_outstanding += bytes;
    ++r.shared_frames;
  }
  for (const iovec& v : frame) {
    std::memcpy(out, v.iov_base, v.iov_len);
    out += v.iov_len;
  }
  ++r.published;
  // seq_cst pairs with the reader's wake_pending store and write load in woken()/open():
  // a reader that cleared wake_pending before this store sees the new position, and one that
  // cleared it after is woken below.
  r.write.store(at + record_size(h.bytes), std::memory_order_seq_cst);
  for (unsigned c = 0; c < threads_; ++c) {
    Consumer& k = consumers_[c];
    if (c == t || k.detached.load(std::memory_order_relaxed) || !k.wake) continue;
    if (!k.wake_pending.exchange(true, std::memory_order_seq_cst)) k.wake();
  }
}

void BroadcastHub::wait_a_little(unsigned t) noexcept {
  ++rings_[t].waits;
  ::sched_yield();
}

// Consumer side ------------------------------------------------------------------------------

void BroadcastHub::woken(unsigned t) noexcept {
  consumers_[t].wake_pending.store(false, std::memory_order_seq_cst);
}

BroadcastHub::Cursor BroadcastHub::open(unsigned ring, unsigned reader) noexcept {
  Ring& r = rings_[ring];
  return {&r, reader, r.read[reader].value.load(std::memory_order_relaxed), r.write.load(std::memory_order_seq_cst)};
}

bool BroadcastHub::next(Cursor& c, std::span<const uint8_t>& frame) noexcept {
  while (c.pos < c.end) {
    const uint8_t* rec = c.ring->bytes.get() + (c.pos & (ring_bytes_ - 1));
    Head h;
    std::memcpy(&h, rec, sizeof h);
    c.record = record_size(h.bytes);
    if (h.kind == kWrap) {
      advance(c);
      continue;
    }
    if (h.kind == kShared) {
      SharedFrame* f;
      std::memcpy(&f, rec + sizeof h, sizeof f);
      frame = {f->data(), f->size};
    } else {
      frame = {rec + sizeof h, h.bytes};
    }
    return true;
  }
  return false;
}

void BroadcastHub::advance(Cursor& c) noexcept {
  c.pos += c.record;
  // Release: the publisher may reuse the bytes (and free a shared block) once it reads this.
  c.ring->read[c.reader].value.store(c.pos, std::memory_order_release);
}

std::string BroadcastHub::stats_json(unsigned t) const {
  const Ring& r = rings_[t];
  return "{\"ring_bytes\":" + std::to_string(r.bytes ? ring_bytes_ : 0) + ",\"published\":" + std::to_string(r.published) +
         ",\"waits\":" + std::to_string(r.waits) + ",\"shared_frames\":" + std::to_string(r.shared_frames) + "}";
}

}  // namespace wsalloc::variants
