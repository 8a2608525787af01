#pragma once
// reference_utf8.hpp: an independent UTF-8 oracle for the fuzz targets.
//
// Written from RFC 3629's definition, not from a byte table: a lead byte gives the sequence length,
// the code point is decoded arithmetically, and a sequence is valid when its code point is at least
// the minimum for its length (no overlong), not a surrogate (U+D800..DFFF) and at most U+10FFFF.
// "First impossible byte" (the validator's fail-fast promise) is computed from the range of code
// points a partial sequence could still become: the missing continuation bytes add the low bits,
// so a prefix spans one contiguous range [lo, hi], and the prefix is hopeless when that range misses
// the valid set entirely.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wsalloc::fuzz {

enum class RefUtf8 : uint8_t { Complete, Partial, Invalid };

struct RefUtf8Scan {
  RefUtf8 result = RefUtf8::Complete;  // of the whole input
  size_t first_bad = 0;                // index of the first impossible byte; == size when there is none
  std::vector<bool> boundary;          // boundary[i]: bytes [0, i) end at a character boundary (size+1 entries)

  // What a validator fed exactly the first `len` bytes must report.
  RefUtf8 after(size_t len) const noexcept {
    if (first_bad < len) return RefUtf8::Invalid;
    return boundary[len] ? RefUtf8::Complete : RefUtf8::Partial;
  }
};

namespace ref_utf8_detail {

// Length of the sequence a lead byte starts (by its bit pattern alone), 0 when it cannot lead.
constexpr size_t sequence_length(uint8_t b) noexcept {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 0;
}

// Can the first k bytes of a len-byte sequence still become a valid character?
inline bool completable(const uint8_t* s, size_t k, size_t len) noexcept {
  static constexpr uint32_t kLeadMask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  uint32_t lo = s[0] & kLeadMask[len];
  for (size_t i = 1; i < k; ++i) lo = (lo << 6) | (s[i] & 0x3F);
  uint32_t hi = lo;
  for (size_t i = k; i < len; ++i) {
    lo = lo << 6;             // missing continuation 0x80
    hi = (hi << 6) | 0x3F;    // missing continuation 0xBF
  }
  if (hi < kMin[len] || lo > 0x10FFFF) return false;
  if (lo >= 0xD800 && hi <= 0xDFFF) return false;  // every completion is a surrogate
  return true;
}

}  // namespace ref_utf8_detail

inline RefUtf8Scan reference_utf8_scan(std::span<const uint8_t> s) {
  using namespace ref_utf8_detail;
  RefUtf8Scan scan;
  const size_t n = s.size();
  scan.boundary.assign(n + 1, false);
  scan.boundary[0] = true;
  scan.first_bad = n;
  size_t i = 0;
  while (i < n) {
    const size_t len = sequence_length(s[i]);
    if (len == 0 || !completable(&s[i], 1, len)) {
      scan.first_bad = i;
      scan.result = RefUtf8::Invalid;
      return scan;
    }
    for (size_t k = 2; k <= len; ++k) {
      if (i + k - 1 >= n) {  // the input ends inside this character
        scan.result = RefUtf8::Partial;
        return scan;
      }
      const uint8_t b = s[i + k - 1];
      if ((b & 0xC0) != 0x80 || !completable(&s[i], k, len)) {
        scan.first_bad = i + k - 1;
        scan.result = RefUtf8::Invalid;
        return scan;
      }
    }
    i += len;
    scan.boundary[i] = true;
  }
  return scan;
}

inline bool reference_utf8_valid(std::span<const uint8_t> s) {
  return reference_utf8_scan(s).result == RefUtf8::Complete;
}

}  // namespace wsalloc::fuzz
