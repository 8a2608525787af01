#include "micro/client_frames.hpp"

namespace wsalloc::micro {

std::string ascii_text(size_t n) {
  static constexpr std::string_view kText = "The quick brown fox jumps over the lazy dog. 0123456789 ";
  std::string out;
  out.reserve(n);
  while (out.size() < n) out.append(kText.substr(0, std::min(kText.size(), n - out.size())));
  return out;
}

namespace {
// Appends whole characters from `cycle` (character lengths in `lengths`) while they fit, then pads
// with ASCII: the result is exactly n bytes and ends at a character boundary.
std::string fill_with(size_t n, std::string_view cycle, std::initializer_list<size_t> lengths) {
  std::string out;
  out.reserve(n);
  size_t at = 0;
  auto next = lengths.begin();
  while (true) {
    if (next == lengths.end()) next = lengths.begin(), at = 0;
    if (out.size() + *next > n) break;
    out.append(cycle.substr(at, *next));
    at += *next;
    ++next;
  }
  out.append(n - out.size(), 'a');
  return out;
}
}  // namespace

std::string multibyte_text(size_t n) {
  // U+00E9 (2 bytes), U+20AC (3 bytes), U+1D11E (4 bytes).
  return fill_with(n, "\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", {2, 3, 4});
}

std::string mixed_text(size_t n) {
  // "Hello, café – ✓ naïve 🚀 " : ASCII runs with 2-, 3- and 4-byte characters in between.
  return fill_with(n,
                   "Hello, caf\xc3\xa9 \xe2\x80\x93 \xe2\x9c\x93 na\xc3\xafve \xf0\x9f\x9a\x80 ",
                   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 3, 1, 3, 1, 1, 1, 2, 1, 1, 1, 4, 1});
}

std::string binary_payload(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 31 + 7) & 0xFF);
  return out;
}

std::string invalid_text(size_t n) {
  std::string out = multibyte_text(n);
  if (!out.empty()) out.back() = '\xff';
  return out;
}

std::string_view shape_name(EchoShape shape) noexcept {
  switch (shape) {
    case EchoShape::Binary32: return "echo_32";
    case EchoShape::Text512: return "echo_512_text";
    case EchoShape::Binary64K: return "echo_64k";
    case EchoShape::Fragmented4x1K: return "fragmented";
  }
  return "unknown";
}

EchoMessage build_echo_message(EchoShape shape) {
  using core::Opcode;
  EchoMessage m;
  switch (shape) {
    case EchoShape::Binary32:
      m.payload_bytes = 32;
      m.wire = client_frame(Opcode::Binary, binary_payload(32));
      break;
    case EchoShape::Text512:
      m.payload_bytes = 512;
      m.wire = client_frame(Opcode::Text, mixed_text(512));
      break;
    case EchoShape::Binary64K:
      m.payload_bytes = 64 * 1024;
      m.wire = client_frame(Opcode::Binary, binary_payload(64 * 1024));
      break;
    case EchoShape::Fragmented4x1K: {
      const std::string part = binary_payload(1024);
      m.payload_bytes = 4 * 1024;
      m.wire = client_frame(Opcode::Binary, part, false) + client_frame(Opcode::Continuation, part, false) +
               client_frame(Opcode::Continuation, part, false) + client_frame(Opcode::Continuation, part, true);
      break;
    }
  }
  m.reply_bytes = core::frame_header_size(m.payload_bytes, false) + m.payload_bytes;
  return m;
}

}  // namespace wsalloc::micro
