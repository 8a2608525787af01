#pragma once
// checking_sink.hpp: a ProtocolParser sink that checks the sink contract on every callback and
// rebuilds message-level events (reference_frames.hpp's Outcome) for comparison.
//
// Checked per call: a data chunk lies inside the buffer of the current feed() (set by the caller
// before each feed) or, for a compressed message, inside the inflate window, is non-empty unless it carries message_end, and has a consistent opcode; a
// message_begin only when no message is open, a continuation chunk only after a begin; control
// payloads fit 125 bytes; close codes are 1005-with-empty-reason or valid on the wire, reasons are
// valid UTF-8 of at most 123 bytes; protocol errors carry 1002/1007/1009 and a rule name; after a
// close or a protocol error nothing at all is reported (so an error is reported at most once).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/close.hpp"
#include "core/frame.hpp"
#include "fuzz_check.hpp"
#include "reference_frames.hpp"
#include "reference_utf8.hpp"

namespace wsalloc::fuzz {

class CheckingSink {
 public:
  Outcome outcome;

  // The buffer the next feed() works on: every data chunk must point into it.
  void set_feed_buffer(const uint8_t* data, size_t size) noexcept {
    lo_ = data;
    hi_ = data + size;
  }
  // permessage-deflate: inflated chunks point into the parser's inflate window instead.
  void set_inflate_window(const uint8_t* data, size_t size) noexcept {
    win_lo_ = data;
    win_hi_ = data + size;
  }
  bool message_open() const noexcept { return in_msg_; }
  bool closed() const noexcept { return !outcome.events.empty() && outcome.events.back().kind == EventKind::Close; }
  bool failed() const noexcept { return !outcome.events.empty() && outcome.events.back().kind == EventKind::Error; }

  // Ends the run: the bytes of a message still open go into the outcome.
  Outcome finish() {
    outcome.open_message = outcome.terminated() || !in_msg_ ? std::string() : current_;
    return outcome;
  }

  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    const auto opv = static_cast<unsigned>(op);
    FUZZ_CHECK(!outcome.terminated(), "on_data (op {}, {} bytes) after {}", opv, chunk.size(),
               describe(outcome.events.back()));
    FUZZ_CHECK(op == core::Opcode::Text || op == core::Opcode::Binary, "on_data with opcode {}", opv);
    FUZZ_CHECK(chunk.empty() || (chunk.data() >= lo_ && chunk.data() + chunk.size() <= hi_) ||
                   (chunk.data() >= win_lo_ && chunk.data() + chunk.size() <= win_hi_),
               "chunk of {} bytes at offset {} outside the fed buffer of {} bytes (and the inflate window)",
               chunk.size(), chunk.data() - lo_, hi_ - lo_);
    FUZZ_CHECK(!chunk.empty() || end, "empty chunk without message_end (begin={})", begin);
    if (begin) {
      FUZZ_CHECK(!in_msg_, "message_begin while a message of {} bytes is open", current_.size());
      in_msg_ = true;
      op_ = op;
      current_.clear();
    } else {
      FUZZ_CHECK(in_msg_, "chunk of {} bytes without a message_begin", chunk.size());
      FUZZ_CHECK(op == op_, "chunk opcode {} inside a message of opcode {}", opv, static_cast<unsigned>(op_));
    }
    current_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    if (!end) return;
    if (op_ == core::Opcode::Text) {
      FUZZ_CHECK(reference_utf8_valid(bytes(current_)), "text message of {} bytes delivered with invalid UTF-8",
                 current_.size());
    }
    outcome.events.push_back({EventKind::Message, static_cast<uint8_t>(op_), 0, current_});
    in_msg_ = false;
    current_.clear();
  }

  void on_ping(std::span<const uint8_t> p) { control(EventKind::Ping, core::Opcode::Ping, p); }
  void on_pong(std::span<const uint8_t> p) { control(EventKind::Pong, core::Opcode::Pong, p); }

  void on_close(uint16_t code, std::string_view reason) {
    FUZZ_CHECK(!outcome.terminated(), "on_close({}) after {}", code, describe(outcome.events.back()));
    if (code == 1005) {
      FUZZ_CHECK(reason.empty(), "close 1005 with a {}-byte reason", reason.size());
    } else {
      const bool on_wire = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                           (code >= 3000 && code <= 4999);
      FUZZ_CHECK(on_wire, "close code {} reported, not valid on the wire", code);
    }
    FUZZ_CHECK(reason.size() <= core::kMaxCloseReason, "close reason of {} bytes > {}", reason.size(),
               core::kMaxCloseReason);
    FUZZ_CHECK(reference_utf8_valid({reinterpret_cast<const uint8_t*>(reason.data()), reason.size()}),
               "close reason of {} bytes is not valid UTF-8", reason.size());
    outcome.events.push_back({EventKind::Close, 0x8, code, std::string(reason)});
  }

  void on_protocol_error(core::CloseCode code, std::string_view why) {
    const auto c = static_cast<uint16_t>(code);
    FUZZ_CHECK(!outcome.terminated(), "protocol error {} ({}) after {}", c, why, describe(outcome.events.back()));
    FUZZ_CHECK(c == 1002 || c == 1007 || c == 1009 || c == 1011, "protocol error with close code {} ({})", c, why);
    FUZZ_CHECK(!why.empty(), "protocol error {} without a rule name", c);
    outcome.events.push_back({EventKind::Error, 0, c, {}});
  }

 private:
  static std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  void control(EventKind kind, core::Opcode op, std::span<const uint8_t> p) {
    FUZZ_CHECK(!outcome.terminated(), "control frame {} after {}", static_cast<unsigned>(op),
               describe(outcome.events.back()));
    FUZZ_CHECK(p.size() <= core::kMaxControlPayload, "control payload of {} bytes > {}", p.size(),
               core::kMaxControlPayload);
    outcome.events.push_back({kind, static_cast<uint8_t>(op), 0, {reinterpret_cast<const char*>(p.data()), p.size()}});
  }

  const uint8_t* lo_ = nullptr;
  const uint8_t* hi_ = nullptr;
  const uint8_t* win_lo_ = nullptr;
  const uint8_t* win_hi_ = nullptr;
  bool in_msg_ = false;
  core::Opcode op_ = core::Opcode::Binary;
  std::string current_;
};

}  // namespace wsalloc::fuzz
