#pragma once
// ProvidedBuffers: the receive memory of one io_uring poller thread, lent to the kernel through a
// provided-buffer ring (buffer group 0). A multishot receive takes its bytes from here; no
// connection owns a receive buffer.
//
// Owner: the UringBackend of one poller thread; allocated once (mmap, pre-faulted so the first
// receives do not page-fault), never grown. Kernel writes land in a buffer only while it is in
// the ring.
//
// Two modes, chosen by what the kernel accepts at registration:
//   incremental (IOU_PBUF_RING_INC, 6.12)  few large buffers (default 4 x 1 MiB). A receive
//       takes only the bytes it got from the buffer at the ring's head; the next receive (of any
//       connection) continues behind it. A completion says whether the kernel will use the
//       buffer again (IORING_CQE_F_BUF_MORE); the offset is tracked here.
//   whole buffers                          many small buffers (default 128 x 16 KiB); every
//       receive consumes one buffer, whatever it got.
// Either way a receive ends at a buffer's end, so a frame can arrive split over two completions
// (the frame parser handles that; uring_connection.hpp avoids it for large frames).
//
// Lifetime of a buffer: in the ring -> (receive completions) -> out, being parsed -> back into the
// ring when the kernel is done with it (always at once without INC; on a completion without
// BUF_MORE with INC) AND no send pins it. pin(): a send in flight references bytes in the buffer
// (zerocopy's in-place payloads), so it stays out until unpin(). Pins are refused (the caller
// copies instead) once half the buffers are held out by pins, so peers that do not read cannot
// starve every receive.
//
// Invalidation: give-back happens only in settle()/unpin(); spans handed out by take() stay valid
// until the buffer goes back, which settle() does only when nothing references it.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

struct io_uring_buf_ring;

namespace wsalloc::net {

struct ProvidedBuffersOptions {
  uint32_t count = 0;     // 0 = the mode's default; a power of two, <= 32768
  uint32_t bytes = 0;     // per buffer; 0 = the mode's default
  bool incremental = true;  // ask for IOU_PBUF_RING_INC; falls back when the kernel refuses
};

class ProvidedBuffers {
 public:
  static constexpr uint16_t kGroup = 0;

  // Maps the ring and the buffers, registers the ring with io_uring_register(PBUF_RING) (the raw
  // call: liburing 2.3 cannot pass the INC flag). Throws std::system_error naming the call,
  // std::invalid_argument for a count that is not a power of two.
  ProvidedBuffers(int ring_fd, ProvidedBuffersOptions o);
  ~ProvidedBuffers();
  ProvidedBuffers(const ProvidedBuffers&) = delete;
  ProvidedBuffers& operator=(const ProvidedBuffers&) = delete;

  bool incremental() const noexcept { return incremental_; }
  uint32_t count() const noexcept { return count_; }
  uint32_t buffer_bytes() const noexcept { return bytes_; }
  size_t in_ring() const noexcept { return in_ring_; }

  // A receive completion that carried buffer `bid` and `len` bytes: where the bytes are. The
  // buffer is marked done by the kernel when `kernel_keeps` is false. The span is writable (the
  // frame parser unmasks in place).
  std::span<uint8_t> take(uint16_t bid, uint32_t len, bool kernel_keeps) noexcept;
  // After the bytes from take() were handled: back into the ring if the kernel is done with the
  // buffer and nothing pins it.
  void settle(uint16_t bid) noexcept;

  // The buffer holding [p, p+n) stays out of the ring until unpin(bid). nullopt: not in this
  // arena, not out of the ring, or the pin limit is reached (the caller copies instead).
  std::optional<uint16_t> pin(const void* p, size_t n) noexcept;
  void unpin(uint16_t bid) noexcept;

  struct Stats {
    uint64_t recycled = 0;      // buffers given back to the kernel
    uint64_t pins = 0;          // sends that referenced received bytes instead of copying
    uint64_t pins_refused = 0;  // ... and those that had to copy because of the pin limit
  };
  const Stats& stats() const noexcept { return stats_; }

 private:
  struct Buffer {
    uint32_t used = 0;       // INC: bytes the kernel has filled so far
    uint32_t pins = 0;
    bool in_ring = true;     // the kernel may still write into it
  };
  void give_back(uint16_t bid) noexcept;

  int ring_fd_;
  bool incremental_ = false;
  uint32_t count_, bytes_;
  io_uring_buf_ring* ring_ = nullptr;
  size_t ring_bytes_ = 0;
  uint8_t* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  std::vector<Buffer> buffers_;
  size_t in_ring_ = 0;
  size_t held_by_pins_ = 0;  // out of the ring only because of pins
  Stats stats_;
};

}  // namespace wsalloc::net
