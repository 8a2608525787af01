// UTF-8 validation (RFC 3629) for text messages and close reasons: whole-buffer and incremental.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wsalloc::core {

// Incremental validator: a byte-class DFA (Hoehrmann style) with an ASCII fast path that skips
// 8 bytes per step while at a character boundary. Rejects overlongs, surrogates (U+D800..DFFF) and
// code points > U+10FFFF. Fails fast: Invalid is reported as soon as the first impossible byte
// arrives, even mid-character (F4 90 fails at the 90, ED A0 at the A0, E0 80 at the 80).
// Invalid is sticky until reset().
class Utf8Validator {
 public:
  enum class Result : uint8_t {
    Complete,  // valid so far and at a character boundary
    Partial,   // valid so far, but the last character is not finished yet
    Invalid,   // some byte can never be part of valid UTF-8 here
  };

  Result feed(std::span<const uint8_t> bytes) noexcept;
  void reset() noexcept { state_ = kAccept; }
  bool failed() const noexcept { return state_ == kReject; }
  // The result of everything fed so far, without feeding more.
  Result result() const noexcept {
    return state_ == kAccept ? Result::Complete : state_ == kReject ? Result::Invalid : Result::Partial;
  }

  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 1;

 private:
  uint8_t state_ = kAccept;
};

bool utf8_valid(std::span<const uint8_t> bytes) noexcept;  // whole-buffer check

}  // namespace wsalloc::core
