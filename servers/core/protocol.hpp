// The incremental RFC 6455 frame parser with every connection rule (section 5 and 7).
// No I/O, no heap allocation, no exceptions: bytes in, Sink callbacks out.
//
//   struct Sink { ... the five callbacks below ... };
//   Sink sink;
//   ProtocolParser<Role::Server, Sink> parser(sink, {.max_message = 1 << 20});
//   if (parser.feed(recv_span) != ParserState::Open) { ... send close / drop the socket ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "core/close.hpp"
#include "core/frame.hpp"
#include "core/utf8.hpp"

namespace wsalloc::core {

enum class Role : uint8_t { Server, Client };   // Server expects masked frames, Client unmasked

// max_message: default 16 MiB; 0 = unlimited. Counted as the sum of the declared payload lengths
// of a message's frames, checked at each frame header.
struct ProtocolLimits { uint64_t max_message = 16u << 20; };

enum class ParserState : uint8_t {
  Open,           // keep feeding
  CloseReceived,  // a valid close frame arrived; further bytes are ignored
  Failed,         // on_protocol_error was called; further bytes are ignored
};

// Sink contract (all called synchronously from feed(); a callback must not call feed() or reset()
// on the same parser):
//   void on_data(Opcode message_opcode /*Text or Binary*/, std::span<uint8_t> chunk,
//                bool message_begin, bool message_end);
//        chunk points INTO the buffer passed to feed() (already unmasked in place), valid only until
//        feed() returns. A message may arrive in many chunks (frames, and a frame split over reads);
//        message_begin on the first chunk of a message, message_end on the last. Chunks are never
//        empty except for the one carrying message_end: a zero-length message yields exactly one
//        call with an empty chunk and both flags true; a message whose final frame is empty ends with
//        an empty chunk carrying message_end only. For Text, every chunk has already passed UTF-8
//        validation (incremental, so a chunk may end mid-character); the message_end call is made
//        only if the message ends at a character boundary (else on_protocol_error 1007).
//   void on_ping(std::span<const uint8_t> payload);          // complete payload (<=125)
//   void on_pong(std::span<const uint8_t> payload);
//   void on_close(uint16_t code, std::string_view reason);   // code 1005 when the payload was empty
//   void on_protocol_error(CloseCode code, std::string_view why);  // `why` is a static string
template <class S>
concept ProtocolSink = requires(S& s, std::span<uint8_t> chunk, std::span<const uint8_t> ctl) {
  s.on_data(Opcode::Text, chunk, true, true);
  s.on_ping(ctl);
  s.on_pong(ctl);
  s.on_close(uint16_t{1000}, std::string_view{});
  s.on_protocol_error(CloseCode::ProtocolError, std::string_view{});
};

template <Role R, class Sink>
class ProtocolParser {
 public:
  explicit ProtocolParser(Sink& sink, ProtocolLimits limits = {}) noexcept : sink_(sink), limits_(limits) {}

  // Consumes ALL of `bytes` (mutable: payload is unmasked in place). A header split across calls is
  // stashed internally (<=14 bytes); a control frame's payload split across calls is stashed internally
  // (<=125 bytes). Returns the state after the call. Once the state is not Open, input is ignored.
  ParserState feed(std::span<uint8_t> bytes) noexcept;

  ParserState state() const noexcept { return state_; }
  // A data message has begun (its first frame header was accepted) and its message_end chunk has not
  // been delivered yet: a fragmented message between frames, or one frame split across reads.
  bool message_open() const noexcept { return msg_open_; }
  void reset() noexcept;  // back to a fresh connection

 private:
  bool begin_frame(const FrameHeader& h) noexcept;
  bool take_header_slow(uint8_t*& p, uint8_t* end, FrameHeader& h) noexcept;
  void deliver_data(uint8_t* p, size_t n, bool frame_done) noexcept;
  void deliver_control(std::span<uint8_t> payload) noexcept;
  void deliver_close(std::span<const uint8_t> payload) noexcept;
  bool fail(CloseCode code, std::string_view why) noexcept {
    state_ = ParserState::Failed;  // set first: the sink may look at state()
    sink_.on_protocol_error(code, why);
    return false;
  }

  Sink& sink_;
  ProtocolLimits limits_;
  uint64_t frame_left_ = 0;   // payload bytes of the current frame not yet consumed
  uint64_t msg_len_ = 0;      // declared payload bytes of the open message so far
  uint32_t mask_key_ = 0;     // key_wire convention
  uint8_t mask_off_ = 0;      // payload bytes consumed so far % 4: where the key resumes
  uint8_t frame_op_ = 0;
  bool frame_fin_ = false;
  bool in_payload_ = false;   // a header has been accepted and its payload is being consumed
  bool msg_open_ = false;
  bool msg_begin_pending_ = false;  // the message's first chunk has not been delivered yet
  Opcode msg_op_ = Opcode::Binary;
  ParserState state_ = ParserState::Open;
  uint8_t hdr_have_ = 0;      // bytes in hdr_: a header split across feeds
  uint8_t ctrl_have_ = 0;     // bytes in ctrl_: a control payload split across feeds
  Utf8Validator utf8_;
  uint8_t hdr_[kMaxFrameHeader];
  uint8_t ctrl_[kMaxControlPayload];
};

// ---------------------------------------------------------------------------------------- feed

template <Role R, class Sink>
ParserState ProtocolParser<R, Sink>::feed(std::span<uint8_t> bytes) noexcept {
  uint8_t* p = bytes.data();
  uint8_t* const end = p + bytes.size();
  while (state_ == ParserState::Open) {
    if (!in_payload_) {
      if (p == end) break;
      FrameHeader h;
      if (hdr_have_ == 0) [[likely]] {
        if (parse_frame_header({p, static_cast<size_t>(end - p)}, h) == HeaderParse::NeedMore) {
          // NeedMore means fewer bytes than the header needs, so they fit the 14-byte stash.
          hdr_have_ = static_cast<uint8_t>(end - p);
          std::memcpy(hdr_, p, hdr_have_);
          break;
        }
        p += h.header_len;
      } else if (!take_header_slow(p, end, h)) {
        break;
      }
      if (!begin_frame(h)) break;
    }

    const size_t avail = static_cast<size_t>(end - p);
    const size_t n = frame_left_ < avail ? static_cast<size_t>(frame_left_) : avail;
    if (n == 0 && frame_left_ != 0) break;  // payload pending, input exhausted
    if constexpr (R == Role::Server) {
      apply_mask(p, n, mask_key_, mask_off_);
      mask_off_ = static_cast<uint8_t>((mask_off_ + n) & 3);
    }
    frame_left_ -= n;
    const bool frame_done = frame_left_ == 0;
    if (frame_done) in_payload_ = false;
    if (opcode_is_control(frame_op_)) {
      if (frame_done && ctrl_have_ == 0) {
        deliver_control({p, n});  // whole payload in this read: no copy
      } else {
        std::memcpy(ctrl_ + ctrl_have_, p, n);  // begin_frame capped the total at 125
        ctrl_have_ = static_cast<uint8_t>(ctrl_have_ + n);
        if (frame_done) deliver_control({ctrl_, ctrl_have_});
      }
    } else {
      deliver_data(p, n, frame_done);
    }
    p += n;
  }
  return state_;
}

template <Role R, class Sink>
void ProtocolParser<R, Sink>::reset() noexcept {
  frame_left_ = 0;
  msg_len_ = 0;
  mask_key_ = 0;
  mask_off_ = 0;
  frame_op_ = 0;
  frame_fin_ = false;
  in_payload_ = false;
  msg_open_ = false;
  msg_begin_pending_ = false;
  msg_op_ = Opcode::Binary;
  state_ = ParserState::Open;
  hdr_have_ = 0;
  ctrl_have_ = 0;
  utf8_.reset();
}

// ------------------------------------------------------------------------------ frame header

// Completes a header split across feeds. Returns false when all input went into the stash.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::take_header_slow(uint8_t*& p, uint8_t* end, FrameHeader& h) noexcept {
  const size_t old = hdr_have_;
  const size_t room = kMaxFrameHeader - old;
  const size_t avail = static_cast<size_t>(end - p);
  const size_t n = avail < room ? avail : room;
  std::memcpy(hdr_ + old, p, n);
  if (parse_frame_header({hdr_, old + n}, h) == HeaderParse::NeedMore) {
    // old + n < header_len <= 14, so n == avail: everything was stashed.
    hdr_have_ = static_cast<uint8_t>(old + n);
    p = end;
    return false;
  }
  p += h.header_len - old;
  hdr_have_ = 0;
  return true;
}

// Applies every header-time rule, then sets up the frame. Returns false after failing the connection.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::begin_frame(const FrameHeader& h) noexcept {
  if (h.rsv != 0) return fail(CloseCode::ProtocolError, "RSV bit set without a negotiated extension");
  if (!opcode_is_known(h.opcode)) return fail(CloseCode::ProtocolError, "reserved opcode");
  if constexpr (R == Role::Server) {
    if (!h.masked) return fail(CloseCode::ProtocolError, "unmasked client frame");
  } else {
    if (h.masked) return fail(CloseCode::ProtocolError, "masked server frame");
  }
  if (h.payload_len >> 63) return fail(CloseCode::ProtocolError, "64-bit payload length with the top bit set");
  if (opcode_is_control(h.opcode)) {
    if (!h.fin) return fail(CloseCode::ProtocolError, "fragmented control frame");
    if (h.payload_len > kMaxControlPayload) return fail(CloseCode::ProtocolError, "control frame payload over 125 bytes");
  } else {
    const bool continuation = h.opcode == 0;
    if (continuation && !msg_open_) return fail(CloseCode::ProtocolError, "continuation frame without an open message");
    if (!continuation && msg_open_) return fail(CloseCode::ProtocolError, "new data message while a fragmented message is open");
    if (!continuation) msg_len_ = 0;
    // Refused here, before any payload is delivered or buffered. Written as a subtraction because
    // msg_len_ <= max_message always holds, while the sum could overflow.
    if (limits_.max_message != 0 && h.payload_len > limits_.max_message - msg_len_) {
      return fail(CloseCode::MessageTooBig, "message length over max_message");
    }
    if (!continuation) {
      msg_op_ = static_cast<Opcode>(h.opcode);
      msg_open_ = true;
      msg_begin_pending_ = true;
      utf8_.reset();
    }
    msg_len_ += h.payload_len;
  }
  frame_op_ = h.opcode;
  frame_fin_ = h.fin;
  frame_left_ = h.payload_len;
  mask_key_ = h.mask_key;
  mask_off_ = 0;
  ctrl_have_ = 0;
  in_payload_ = true;
  return true;
}

// ----------------------------------------------------------------------------------- delivery

template <Role R, class Sink>
void ProtocolParser<R, Sink>::deliver_data(uint8_t* p, size_t n, bool frame_done) noexcept {
  const bool msg_end = frame_done && frame_fin_;
  if (n == 0 && !msg_end) return;  // an empty non-final fragment carries nothing to report
  if (msg_op_ == Opcode::Text) {
    const auto r = utf8_.feed({p, n});
    if (r == Utf8Validator::Result::Invalid) {
      fail(CloseCode::InvalidPayload, "invalid UTF-8 in text message");
      return;
    }
    if (msg_end && r != Utf8Validator::Result::Complete) {
      fail(CloseCode::InvalidPayload, "text message ends inside a UTF-8 character");
      return;
    }
  }
  const bool begin = msg_begin_pending_;
  msg_begin_pending_ = false;
  if (msg_end) {
    msg_open_ = false;
    msg_len_ = 0;
  }
  sink_.on_data(msg_op_, std::span<uint8_t>(p, n), begin, msg_end);
}

template <Role R, class Sink>
void ProtocolParser<R, Sink>::deliver_control(std::span<uint8_t> payload) noexcept {
  ctrl_have_ = 0;
  switch (static_cast<Opcode>(frame_op_)) {
    case Opcode::Ping: sink_.on_ping(std::span<const uint8_t>(payload)); break;
    case Opcode::Pong: sink_.on_pong(std::span<const uint8_t>(payload)); break;
    default: deliver_close(payload); break;  // begin_frame let only Ping, Pong, Close through
  }
}

template <Role R, class Sink>
void ProtocolParser<R, Sink>::deliver_close(std::span<const uint8_t> payload) noexcept {
  if (payload.empty()) {
    state_ = ParserState::CloseReceived;
    sink_.on_close(static_cast<uint16_t>(CloseCode::NoStatus), {});
    return;
  }
  if (payload.size() == 1) {
    fail(CloseCode::ProtocolError, "close payload of 1 byte");
    return;
  }
  const uint16_t code = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
  if (!close_code_valid_on_wire(code)) {
    fail(CloseCode::ProtocolError, "close code not allowed on the wire");
    return;
  }
  const auto reason = payload.subspan(2);
  if (!utf8_valid(reason)) {
    fail(CloseCode::InvalidPayload, "close reason is not valid UTF-8");
    return;
  }
  state_ = ParserState::CloseReceived;
  sink_.on_close(code, std::string_view(reinterpret_cast<const char*>(reason.data()), reason.size()));
}

}  // namespace wsalloc::core
