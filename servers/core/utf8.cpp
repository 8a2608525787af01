#include "core/utf8.hpp"

#include <array>
#include <cstring>

namespace wsalloc::core {

namespace {

// DFA states. Each multi-byte lead narrows the range of the NEXT byte exactly as RFC 3629's table
// does, which is what makes the validator fail on the first impossible byte:
//   E0 -> A0..BF (no overlong 3-byte), ED -> 80..9F (no surrogates),
//   F0 -> 90..BF (no overlong 4-byte), F4 -> 80..8F (nothing above U+10FFFF).
enum State : uint8_t {
  kAccept = Utf8Validator::kAccept,
  kReject = Utf8Validator::kReject,
  kNeed1,    // one more 80..BF
  kNeed2,    // two more 80..BF
  kNeed3,    // three more 80..BF
  kAfterE0,  // A0..BF, then one more
  kAfterED,  // 80..9F, then one more
  kAfterF0,  // 90..BF, then two more
  kAfterF4,  // 80..8F, then two more
  kStates,
};

constexpr uint8_t next_state(uint8_t s, uint8_t b) {
  const bool cont = b >= 0x80 && b <= 0xBF;
  switch (s) {
    case kAccept:
      if (b < 0x80) return kAccept;
      if (b >= 0xC2 && b <= 0xDF) return kNeed1;
      if (b == 0xE0) return kAfterE0;
      if (b == 0xED) return kAfterED;
      if (b >= 0xE1 && b <= 0xEF) return kNeed2;
      if (b == 0xF0) return kAfterF0;
      if (b >= 0xF1 && b <= 0xF3) return kNeed3;
      if (b == 0xF4) return kAfterF4;
      return kReject;  // stray continuation, C0/C1 (always overlong), F5..FF
    case kNeed1: return cont ? kAccept : kReject;
    case kNeed2: return cont ? kNeed1 : kReject;
    case kNeed3: return cont ? kNeed2 : kReject;
    case kAfterE0: return b >= 0xA0 && b <= 0xBF ? kNeed1 : kReject;
    case kAfterED: return b >= 0x80 && b <= 0x9F ? kNeed1 : kReject;
    case kAfterF0: return b >= 0x90 && b <= 0xBF ? kNeed2 : kReject;
    case kAfterF4: return b >= 0x80 && b <= 0x8F ? kNeed2 : kReject;
    default: return kReject;
  }
}

// One lookup per byte: [state][byte], 9 x 256 = 2304 bytes, fits L1 comfortably.
constexpr auto kTable = [] {
  std::array<uint8_t, kStates * 256> t{};
  for (unsigned s = 0; s < kStates; ++s)
    for (unsigned b = 0; b < 256; ++b) t[s * 256 + b] = next_state(static_cast<uint8_t>(s), static_cast<uint8_t>(b));
  return t;
}();

constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Returns the state after `n` bytes, or kReject as soon as one byte is impossible.
inline uint8_t run(uint8_t state, const uint8_t* s, size_t n) noexcept {
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, tried only when the next byte is ASCII at a character boundary, so text in
    // other scripts does not pay for a failed word check per character: 16 then 8 bytes per step.
    if (state == kAccept && s[i] < 0x80) {
      for (; i + 16 <= n; i += 16) {
        uint64_t a, b;
        std::memcpy(&a, s + i, 8);
        std::memcpy(&b, s + i + 8, 8);
        if ((a | b) & kHighBits) break;
      }
      for (; i + 8 <= n; i += 8) {
        uint64_t a;
        std::memcpy(&a, s + i, 8);
        if (a & kHighBits) break;
      }
      while (i < n && s[i] < 0x80) ++i;  // the ASCII bytes before the first non-ASCII one
      if (i == n) break;
    }
    state = kTable[state * 256u + s[i]];
    ++i;
    if (state == kReject) [[unlikely]] break;
  }
  return state;
}

}  // namespace

Utf8Validator::Result Utf8Validator::feed(std::span<const uint8_t> bytes) noexcept {
  if (state_ != kReject) state_ = run(state_, bytes.data(), bytes.size());
  return result();
}

bool utf8_valid(std::span<const uint8_t> bytes) noexcept {
  return run(kAccept, bytes.data(), bytes.size()) == kAccept;
}

}  // namespace wsalloc::core
