// Wyrand: the per-thread PRNG for mask keys, handshake keys and payload bytes.
//
// Why not std::mt19937 / std::random_device: a client must mask every frame with a fresh key
// (RFC 6455 5.3), so the generator sits on the per-message path. wyrand is one add, one 64x64->128
// multiply and one xor per 64 bits; it is not cryptographic, which RFC 6455 does not need for load
// generation (the key only has to be unpredictable to intermediaries, not to an attacker).
#pragma once

#include <cstdint>

namespace wsalloc::load {

class Wyrand {
 public:
  explicit Wyrand(uint64_t seed) noexcept : state_(seed) {}

  uint64_t next() noexcept {
    state_ += 0xa0761d6478bd642fULL;
    const unsigned __int128 t = static_cast<unsigned __int128>(state_) * (state_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<uint64_t>(t >> 64) ^ static_cast<uint64_t>(t);
  }
  uint32_t next32() noexcept { return static_cast<uint32_t>(next() >> 32); }

 private:
  uint64_t state_;
};

// A seed that differs per process, per thread and per call site (setup time only: it reads
// std::random_device, which may be a syscall).
uint64_t fresh_seed() noexcept;

}  // namespace wsalloc::load
