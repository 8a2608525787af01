#pragma once
// reference_frames.hpp: a deliberately simple, whole-buffer RFC 6455 frame reader, the oracle the
// incremental ProtocolParser is compared with.
//
// It sees the whole input at once (no stash, no split headers, no in-place state), decodes headers
// byte by byte from the RFC's figure, unmasks into a copy, and reports at message level: a message
// is one event however many frames and reads it came in. It applies the connection rules in the
// order protocol.hpp lists them (the order only decides between 1002 and 1009 when a frame breaks
// both), and checks text with the reference UTF-8 oracle, failing as soon as a present byte is
// impossible (so a truncated frame's invalid text fails too, like the parser's fail-fast check).
// A header cut short by the end of the input is judged by the rules its bytes already decide.
//
// permessage-deflate (RefDeflate.on): RSV1 marks a message's first frame as compressed; RSV1
// elsewhere, RSV2/RSV3, or RSV1 without the extension are 1002. A compressed message's wire size
// is held to core::compressed_wire_limit(max_message); its payload is inflated as frames arrive
// (reference_inflate.hpp), the 00 00 ff ff tail appended at its end, and the inflated bytes are
// judged in their own order: the first invalid UTF-8 byte (1007) or the first byte past
// max_message (1009), whichever comes first; then undecodable data (1007).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/protocol.hpp"
#include "reference_inflate.hpp"
#include "reference_utf8.hpp"

namespace wsalloc::fuzz {

enum class EventKind : uint8_t { Message, Ping, Pong, Close, Error };

struct Event {
  EventKind kind = EventKind::Message;
  uint8_t opcode = 0;     // Message: 1 (text) or 2 (binary)
  uint16_t code = 0;      // Close: the peer's code (1005 when empty); Error: the close code to fail with
  std::string payload;    // Message / Ping / Pong: the payload; Close: the reason
  bool operator==(const Event&) const = default;
};

inline std::string describe(const Event& e) {
  static constexpr const char* kNames[] = {"message", "ping", "pong", "close", "error"};
  return fmt::format("{}(op={} code={} {} bytes)", kNames[static_cast<int>(e.kind)], e.opcode, e.code,
                     e.payload.size());
}

// What a reader made of an input: the events in order, and the bytes of a data message still open
// when the input ran out (only meaningful when the last event is not Close or Error).
struct Outcome {
  std::vector<Event> events;
  std::string open_message;
  bool operator==(const Outcome&) const = default;

  bool terminated() const noexcept {
    return !events.empty() && (events.back().kind == EventKind::Close || events.back().kind == EventKind::Error);
  }
};

inline std::string describe(const Outcome& o) {
  std::string s;
  for (const Event& e : o.events) s += describe(e) + " ";
  return s + fmt::format("[open message: {} bytes]", o.open_message.size());
}

// Where two outcomes part: the first differing event, and in it the first differing payload byte.
inline std::string first_difference(const Outcome& a, const Outcome& b) {
  const size_t n = std::min(a.events.size(), b.events.size());
  for (size_t i = 0; i < n; ++i) {
    const Event &x = a.events[i], &y = b.events[i];
    if (x == y) continue;
    size_t at = 0;
    while (at < x.payload.size() && at < y.payload.size() && x.payload[at] == y.payload[at]) ++at;
    return fmt::format("event {}: {} vs {}, payloads differ from byte {}", i, describe(x), describe(y), at);
  }
  if (a.events.size() != b.events.size()) return fmt::format("{} events vs {}", a.events.size(), b.events.size());
  return fmt::format("open message: {} bytes vs {}", a.open_message.size(), b.open_message.size());
}

// `masked_frames`: true for what a client sends (server role), false for what a server sends.
// `max_message`: 0 = unlimited.
// The first failure in a compressed text or binary message's inflated bytes `msg`: 1007 for the
// first invalid UTF-8 byte, 1009 for the first byte past max_message, whichever comes first; 0 none.
inline uint16_t judge_inflated(const std::string& msg, uint8_t op, uint64_t max_message) {
  const auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(msg.data()), msg.size());
  const bool over = max_message != 0 && msg.size() > max_message;
  if (op == 0x1) {
    const RefUtf8Scan scan = reference_utf8_scan(over ? bytes.first(max_message) : bytes);
    if (scan.result == RefUtf8::Invalid) return 1007;
  }
  return over ? 1009 : 0;
}

inline Outcome reference_parse(std::span<const uint8_t> in, bool masked_frames, uint64_t max_message,
                               RefDeflate deflate = {}) {
  Outcome out;
  auto error = [&](uint16_t code) { out.events.push_back({EventKind::Error, 0, code, {}}); };
  bool open = false;
  uint8_t msg_op = 0;
  uint64_t msg_len = 0;
  std::string msg;
  bool compressed = false;
  RefInflater inflater(deflate);
  const size_t inflate_cap = max_message == 0 ? SIZE_MAX : static_cast<size_t>(max_message) + 1;
  size_t pos = 0;
  const size_t n = in.size();

  while (pos < n) {
    if (n - pos < 2) break;
    const uint8_t b0 = in[pos], b1 = in[pos + 1];
    const bool fin = b0 & 0x80;
    const uint8_t rsv = b0 & 0x70;
    const uint8_t op = b0 & 0x0F;
    const bool mask = b1 & 0x80;
    uint64_t len = b1 & 0x7F;
    size_t header = 2;
    if (len == 126) header += 2;
    if (len == 127) header += 8;
    const size_t len_bytes = header - 2;
    if (mask) header += 4;
    // A header cut short is judged by the rules its bytes decide: those before the length always,
    // the rest too when the 7-bit field is the length itself.
    const bool whole = n - pos >= header;
    const bool len_known = whole || len_bytes == 0;
    if (whole && len_bytes > 0) {
      len = 0;
      for (size_t i = 0; i < len_bytes; ++i) len = len * 256 + in[pos + 2 + i];
    }

    const bool control = op >= 0x8;
    // RSV1 on the first frame of a data message, with the extension agreed: compressed.
    const bool rsv1_ok = deflate.on && rsv == 0x40 && !control && op != 0;
    if (rsv != 0 && !rsv1_ok) return error(1002), out;
    if (!(op <= 0x2 || (op >= 0x8 && op <= 0xA))) return error(1002), out;
    if (mask != masked_frames) return error(1002), out;
    if (!len_known) break;
    if (len >> 63) return error(1002), out;
    const bool packed = op != 0 ? rsv != 0 : compressed;
    if (control) {
      if (!fin || len > 125) return error(1002), out;
    } else {
      if (op == 0 && !open) return error(1002), out;
      if (op != 0 && open) return error(1002), out;
      const uint64_t so_far = op != 0 ? 0 : msg_len;
      const uint64_t limit = packed ? core::compressed_wire_limit(max_message) : max_message;
      if (limit != 0 && so_far + len > limit) return error(1009), out;
    }
    if (!whole) break;

    uint8_t key[4] = {0, 0, 0, 0};
    if (mask)
      for (size_t i = 0; i < 4; ++i) key[i] = in[pos + 2 + len_bytes + i];
    pos += header;
    if (!control) {
      if (op != 0) {
        open = true;
        msg_op = op;
        msg.clear();
        msg_len = 0;
        compressed = packed;
        if (compressed) inflater.begin_message();
      }
      msg_len += len;
    }

    const size_t avail = static_cast<size_t>(std::min<uint64_t>(len, n - pos));
    std::string payload(avail, '\0');
    for (size_t i = 0; i < avail; ++i) payload[i] = static_cast<char>(in[pos + i] ^ key[i % 4]);
    pos += avail;
    const bool complete = avail == len;
    auto bytes = [](const std::string& s) {
      return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    };

    if (control) {
      if (!complete) break;  // a control frame is reported only when whole
      if (op == 0x9) {
        out.events.push_back({EventKind::Ping, op, 0, payload});
      } else if (op == 0xA) {
        out.events.push_back({EventKind::Pong, op, 0, payload});
      } else {
        if (payload.empty()) {
          out.events.push_back({EventKind::Close, op, 1005, {}});
          return out;
        }
        if (payload.size() == 1) return error(1002), out;
        const uint16_t code = static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 | static_cast<uint8_t>(payload[1]));
        const bool code_ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                             (code >= 3000 && code <= 4999);
        if (!code_ok) return error(1002), out;
        std::string reason = payload.substr(2);
        if (!reference_utf8_valid(bytes(reason))) return error(1007), out;
        out.events.push_back({EventKind::Close, op, code, reason});
        return out;
      }
      continue;
    }

    if (compressed) {
      const auto z = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
      const auto st = inflater.inflate_all(z, msg, inflate_cap, false);
      if (const uint16_t code = judge_inflated(msg, msg_op, max_message)) return error(code), out;
      if (st == RefInflater::Status::BadData) return error(1007), out;
      if (!complete) break;
      if (!fin) continue;
      static constexpr uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};
      if (inflater.inflate_all(kTail, msg, inflate_cap, true) == RefInflater::Status::BadData) return error(1007), out;
      if (const uint16_t code = judge_inflated(msg, msg_op, max_message)) return error(code), out;
      if (msg_op == 0x1 && reference_utf8_scan(bytes(msg)).result != RefUtf8::Complete) return error(1007), out;
      out.events.push_back({EventKind::Message, msg_op, 0, msg});
      open = compressed = false;
      msg.clear();
      continue;
    }
    msg += payload;
    if (msg_op == 0x1 && reference_utf8_scan(bytes(msg)).result == RefUtf8::Invalid) return error(1007), out;
    if (!complete) break;
    if (fin) {
      if (msg_op == 0x1 && reference_utf8_scan(bytes(msg)).result != RefUtf8::Complete) return error(1007), out;
      out.events.push_back({EventKind::Message, msg_op, 0, msg});
      open = false;
      msg.clear();
    }
  }
  out.open_message = open ? msg : std::string();
  return out;
}

}  // namespace wsalloc::fuzz
