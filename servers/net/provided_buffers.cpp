#include "net/provided_buffers.hpp"

#include <liburing.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "net/uring_ring.hpp"

namespace wsalloc::net {
namespace {

// Defaults per mode. INC: 4 x 1 MiB. A receive ends at a buffer's end, so the larger the buffer,
// the fewer frames are cut: with 256 KiB buffers a quarter of 64 KiB frames were, and zerocopy's
// echo of 10 connections x 64 KiB cost 6 % more server CPU per message than with 1 MiB buffers
// (scripts/io_anatomy.py, six interleaved rounds); small messages do not care. Without INC: 128
// x 16 KiB (every receive takes a whole buffer, so count matters more than size). The epoll loop
// buffer is 512 KiB, but a ring must also cover buffers held by pins and by receives in flight.
constexpr uint32_t kIncCount = 4, kIncBytes = 1u << 20;
constexpr uint32_t kWholeCount = 128, kWholeBytes = 16u << 10;

void* map_populated(size_t bytes, const char* what) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED)
    throw std::system_error(errno, std::generic_category(),
                            std::string("mmap(") + what + ", " + std::to_string(bytes) + " B)");
  return p;
}

int register_ring(int ring_fd, io_uring_buf_ring* ring, uint32_t entries, uint16_t flags) {
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring);
  reg.ring_entries = entries;
  reg.bgid = ProvidedBuffers::kGroup;
  reg.pad = flags;  // liburing 2.3's name for the flags field
  return ::syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) == 0 ? 0 : errno;
}

}  // namespace

ProvidedBuffers::ProvidedBuffers(int ring_fd, ProvidedBuffersOptions o) : ring_fd_(ring_fd) {
  count_ = o.count ? o.count : (o.incremental ? kIncCount : kWholeCount);
  bytes_ = o.bytes ? o.bytes : (o.incremental ? kIncBytes : kWholeBytes);
  if (!std::has_single_bit(count_) || count_ > 32768)
    throw std::invalid_argument("ProvidedBuffers: count " + std::to_string(count_) +
                                " is not a power of two <= 32768");
  ring_bytes_ = (count_ * sizeof(io_uring_buf) + 4095) & ~size_t{4095};
  ring_ = static_cast<io_uring_buf_ring*>(map_populated(ring_bytes_, "buffer ring"));
  int err = o.incremental ? register_ring(ring_fd, ring_, count_, kPbufRingIncremental) : EINVAL;
  incremental_ = err == 0;
  if (err != 0 && o.incremental && o.count == 0 && o.bytes == 0) {
    count_ = kWholeCount;  // no INC: many small buffers instead of few large ones
    bytes_ = kWholeBytes;
    ::munmap(ring_, ring_bytes_);
    ring_bytes_ = (count_ * sizeof(io_uring_buf) + 4095) & ~size_t{4095};
    ring_ = static_cast<io_uring_buf_ring*>(map_populated(ring_bytes_, "buffer ring"));
  }
  if (err != 0) err = register_ring(ring_fd, ring_, count_, 0);
  if (err != 0) {
    ::munmap(ring_, ring_bytes_);
    throw std::system_error(err, std::generic_category(),
                            "io_uring_register(PBUF_RING, entries=" + std::to_string(count_) + ")");
  }
  arena_bytes_ = size_t{count_} * bytes_;
  arena_ = static_cast<uint8_t*>(map_populated(arena_bytes_, "provided buffers"));
  buffers_.resize(count_);
  io_uring_buf_ring_init(ring_);
  const int mask = io_uring_buf_ring_mask(count_);
  for (uint32_t i = 0; i < count_; ++i)
    io_uring_buf_ring_add(ring_, arena_ + size_t{i} * bytes_, bytes_, static_cast<uint16_t>(i), mask, static_cast<int>(i));
  io_uring_buf_ring_advance(ring_, static_cast<int>(count_));
  in_ring_ = count_;
}

ProvidedBuffers::~ProvidedBuffers() {
  // The ring is torn down (and every receive cancelled) before this runs: see ~UringBackend.
  io_uring_buf_reg unreg{};
  unreg.bgid = kGroup;
  ::syscall(__NR_io_uring_register, ring_fd_, IORING_UNREGISTER_PBUF_RING, &unreg, 1);
  ::munmap(arena_, arena_bytes_);
  ::munmap(ring_, ring_bytes_);
}

std::span<uint8_t> ProvidedBuffers::take(uint16_t bid, uint32_t len, bool kernel_keeps) noexcept {
  Buffer& b = buffers_[bid];
  uint8_t* data = arena_ + size_t{bid} * bytes_;
  if (incremental_) {
    data += b.used;
    b.used += len;
  }
  if (!incremental_ || !kernel_keeps) {
    b.in_ring = false;
    --in_ring_;
    if (b.pins > 0) ++held_by_pins_;
  }
  return {data, len};
}

void ProvidedBuffers::settle(uint16_t bid) noexcept {
  Buffer& b = buffers_[bid];
  if (!b.in_ring && b.pins == 0) give_back(bid);
}

std::optional<uint16_t> ProvidedBuffers::pin(const void* p, size_t n) noexcept {
  const auto* q = static_cast<const uint8_t*>(p);
  if (q < arena_ || q + n > arena_ + arena_bytes_ || n == 0) return std::nullopt;
  const size_t off = static_cast<size_t>(q - arena_);
  const auto bid = static_cast<uint16_t>(off / bytes_);
  if ((off % bytes_) + n > bytes_) return std::nullopt;  // spans two buffers: not one receive's bytes
  Buffer& b = buffers_[bid];
  // Bytes the kernel may still write over are never referenced: a buffer in the ring is stable
  // only below `used` (INC), and without INC not at all.
  if (b.in_ring && (!incremental_ || (off % bytes_) + n > b.used)) return std::nullopt;
  if (b.pins == 0 && !b.in_ring) {
    if (held_by_pins_ >= count_ / 2) {
      ++stats_.pins_refused;
      return std::nullopt;
    }
    ++held_by_pins_;
  }
  ++b.pins;
  ++stats_.pins;
  return bid;
}

void ProvidedBuffers::unpin(uint16_t bid) noexcept {
  Buffer& b = buffers_[bid];
  if (--b.pins == 0 && !b.in_ring) {
    --held_by_pins_;
    give_back(bid);
  }
}

void ProvidedBuffers::give_back(uint16_t bid) noexcept {
  Buffer& b = buffers_[bid];
  b.used = 0;
  b.in_ring = true;
  ++in_ring_;
  ++stats_.recycled;
  io_uring_buf_ring_add(ring_, arena_ + size_t{bid} * bytes_, bytes_, bid, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(ring_, 1);
}

}  // namespace wsalloc::net
