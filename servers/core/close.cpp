#include "core/close.hpp"

#include <cstring>

namespace wsalloc::core {

size_t write_close_payload(uint8_t* out, uint16_t code, std::string_view reason) noexcept {
  size_t len = reason.size();
  if (len > kMaxCloseReason) {
    len = kMaxCloseReason;
    // Back up over continuation bytes (10xxxxxx) so the cut never splits a character.
    while (len > 0 && (static_cast<uint8_t>(reason[len]) & 0xC0) == 0x80) --len;
  }
  out[0] = static_cast<uint8_t>(code >> 8);
  out[1] = static_cast<uint8_t>(code & 0xFF);
  if (len != 0) std::memcpy(out + 2, reason.data(), len);
  return 2 + len;
}

}  // namespace wsalloc::core
