// The incremental RFC 6455 frame parser with every connection rule (section 5 and 7).
// No I/O, no heap allocation, no exceptions: bytes in, Sink callbacks out.
//
//   struct Sink { ... the five callbacks below ... };
//   Sink sink;
//   ProtocolParser<Role::Server, Sink> parser(sink, {.max_message = 1 << 20});
//   if (parser.feed(recv_span) != ParserState::Open) { ... send close / drop the socket ... }
//
// permessage-deflate (RFC 7692): after set_inflater(), RSV1 on the first frame of a data message
// marks it compressed; the parser inflates it through the caller's MessageInflater into the
// caller's window and delivers the inflated bytes as on_data chunks, exactly as for a plain
// message (UTF-8 checked on the inflated text, max_message on the inflated size as it grows).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "core/close.hpp"
#include "core/deflate_stream.hpp"
#include "core/frame.hpp"
#include "core/utf8.hpp"

namespace wsalloc::core {

enum class Role : uint8_t { Server, Client };   // Server expects masked frames, Client unmasked

// max_message: default 16 MiB; 0 = unlimited. Counted as the sum of the declared payload lengths
// of a message's frames, checked at each frame header. A compressed message is held to it by its
// inflated size, counted while it is inflated; its wire size only to compressed_wire_limit().
struct ProtocolLimits { uint64_t max_message = 16u << 20; };

// The wire size a compressed message of at most `max_message` inflated bytes may take. DEFLATE can
// expand incompressible data a little (a stored block costs 5 bytes; zlib at memLevel 1 ends a
// block every 128 bytes: 4 %), so an eighth plus 1 KiB admits every honest compressor, while a
// stream of empty blocks that inflates to nothing still cannot run on without bound. 0 = unlimited.
constexpr uint64_t compressed_wire_limit(uint64_t max_message) noexcept {
  if (max_message == 0 || max_message > (uint64_t{1} << 60)) return 0;
  return max_message + max_message / 8 + 1024;
}

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
//   void on_protocol_error(CloseCode code, std::string_view why);  // `why` is valid during the call;
//        where a limit was broken it names the value and the limit ("message 70000 B > max_message
//        65536"), fitting a close frame's reason (<= kMaxCloseReason bytes)
// With an inflater set, the chunks of a compressed message point into the inflate window instead
// (valid until the callback returns), and a failure to inflate is reported as 1007 (bad data), 1009
// (inflated size over max_message) or 1011 (no memory for the decompressor).
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
  // Where the next frame header starts, counted from the next byte fed: 0 at a frame boundary,
  // the current frame's unread payload otherwise. nullopt while a split header is stashed (its
  // length is unknown) or once the parser stopped. For transports that plan receives by frame.
  std::optional<uint64_t> bytes_to_next_header() const noexcept {
    if (state_ != ParserState::Open || hdr_have_ != 0) return std::nullopt;
    return in_payload_ ? frame_left_ : 0;
  }
  void reset() noexcept;  // back to a fresh connection (no inflater: nothing negotiated)

  // permessage-deflate was agreed: from now on RSV1 on a message's first frame means compressed.
  // `inflater` and `window` (where inflated bytes go before each on_data; any size > 0, bigger =
  // fewer, larger chunks) must outlive the parser's use of them; the window may be shared by
  // every parser of a thread, since nothing stays in it between calls to feed().
  void set_inflater(MessageInflater* inflater, std::span<uint8_t> window) noexcept {
    inflater_ = inflater;
    window_ = window;
  }
  // The same, with the inflater made at the first compressed message (deflate_stream.hpp).
  void set_inflater_source(InflaterSource* source, std::span<uint8_t> window) noexcept {
    source_ = source;
    window_ = window;
  }

 private:
  bool begin_frame(const FrameHeader& h) noexcept;
  bool take_header_slow(uint8_t*& p, uint8_t* end, FrameHeader& h) noexcept;
  template <bool kLengthKnown>
  [[gnu::always_inline]] bool header_rules_ok(const FrameHeader& h) noexcept;
  bool judge_stashed_header() noexcept;
  void deliver_data(uint8_t* p, size_t n, bool frame_done) noexcept;
  [[gnu::noinline]] bool accept_rsv(const FrameHeader& h) noexcept;
  [[gnu::noinline]] void deliver_inflated(uint8_t* p, size_t n, bool msg_end) noexcept;
  bool inflate_chunk(std::span<const uint8_t> in, bool tail) noexcept;
  void deliver_window(bool msg_end) noexcept;
  bool fail_inflating(CloseCode code, std::string_view why) noexcept {
    inflater_->end();
    win_have_ = 0;
    return fail(code, why);
  }
  // Inflating stops one byte past the limit, so the message's size is not known: only the limit.
  [[gnu::noinline]] bool fail_inflated_over(uint64_t max) noexcept {
    char why[64] = "inflated message passed max_message ";
    const auto end = std::to_chars(why + 36, why + sizeof why, max).ptr;
    return fail_inflating(CloseCode::MessageTooBig, {why, static_cast<size_t>(end - why)});
  }
  void deliver_control(std::span<uint8_t> payload) noexcept;
  void deliver_close(std::span<const uint8_t> payload) noexcept;
  bool fail(CloseCode code, std::string_view why) noexcept {
    state_ = ParserState::Failed;  // set first: the sink may look at state()
    sink_.on_protocol_error(code, why);
    return false;
  }
  // fail() with "<what> <value><unit> > <limit>", e.g. "message 70000 B > max_message 65536",
  // built on the stack: the parser allocates nothing.
  bool fail_over(CloseCode code, std::string_view what, uint64_t value, std::string_view unit_and_limit,
                 uint64_t limit) noexcept;

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
  bool msg_compressed_ = false;  // the open message had RSV1 on its first frame
  Utf8Validator utf8_;
  MessageInflater* inflater_ = nullptr;  // set (or source_ set): permessage-deflate agreed
  InflaterSource* source_ = nullptr;      // makes inflater_ at the first compressed message
  std::span<uint8_t> window_;            // inflated bytes of the open message not yet delivered
  size_t win_have_ = 0;
  uint64_t inflated_ = 0;                // inflated bytes of the open compressed message so far
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
          judge_stashed_header();
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
  msg_compressed_ = false;
  utf8_.reset();
  inflater_ = nullptr;
  source_ = nullptr;
  window_ = {};
  win_have_ = 0;
  inflated_ = 0;
}

template <Role R, class Sink>
bool ProtocolParser<R, Sink>::fail_over(CloseCode code, std::string_view what, uint64_t value,
                                        std::string_view unit_and_limit, uint64_t limit) noexcept {
  // what (<= 16) + 2 numbers (<= 20 each) + unit_and_limit (<= 16) + 2 spaces: fits 123 bytes.
  char why[kMaxCloseReason];
  char* p = why;
  char* const end = why + sizeof why;
  auto put = [&](std::string_view s) {
    const size_t n = s.size() < static_cast<size_t>(end - p) ? s.size() : static_cast<size_t>(end - p);
    std::memcpy(p, s.data(), n);
    p += n;
  };
  put(what);
  put(" ");
  p = std::to_chars(p, end, value).ptr;
  put(unit_and_limit);
  put(" ");
  p = std::to_chars(p, end, limit).ptr;
  return fail(code, {why, static_cast<size_t>(p - why)});
}

// ------------------------------------------------------------------------------ frame header

// Judges what has arrived of a header the input ended in: a peer that sends the first bytes of a
// broken header and waits must still be told why (1002), not be left waiting for bytes that could
// not make it valid. Returns false after failing the connection.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::judge_stashed_header() noexcept {
  if (hdr_have_ < 2) return true;
  const FrameHeader h = read_frame_prefix(hdr_[0], hdr_[1]);
  return h.payload_len < 126 ? header_rules_ok<true>(h) : header_rules_ok<false>(h);
}

// Completes a header split across feeds. Returns false when all input went into the stash (or the
// stashed part already broke a rule).
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
    judge_stashed_header();
    return false;
  }
  p += h.header_len - old;
  hdr_have_ = 0;
  return true;
}

// Every rule a frame header can break, in one order whether the header came whole or in pieces,
// so a connection fails with the same code and reason however the peer's bytes were split.
// Without kLengthKnown (a split header whose 16/64-bit length has not arrived), the rules from the
// first one that needs the length wait for the rest. Returns false after failing the connection.
// Inlined into both callers as a template: begin_frame runs once per frame, and the gate's
// instruction counts (core/frame_parse, */echo_32) hold it to the cost of the checks themselves.
template <Role R, class Sink>
template <bool kLengthKnown>
inline bool ProtocolParser<R, Sink>::header_rules_ok(const FrameHeader& h) noexcept {
  if (h.rsv != 0 && !accept_rsv(h)) [[unlikely]] return false;
  if (!opcode_is_known(h.opcode)) return fail(CloseCode::ProtocolError, "reserved opcode");
  if constexpr (R == Role::Server) {
    if (!h.masked) return fail(CloseCode::ProtocolError, "unmasked client frame");
  } else {
    if (h.masked) return fail(CloseCode::ProtocolError, "masked server frame");
  }
  if constexpr (!kLengthKnown) return true;
  if (h.payload_len >> 63) return fail(CloseCode::ProtocolError, "64-bit payload length with the top bit set");
  if (opcode_is_control(h.opcode)) {
    if (!h.fin) return fail(CloseCode::ProtocolError, "fragmented control frame");
    if (h.payload_len > kMaxControlPayload)
      return fail_over(CloseCode::ProtocolError, "control frame", h.payload_len, " B >", kMaxControlPayload);
    return true;
  }
  const bool continuation = h.opcode == 0;
  if (continuation && !msg_open_) return fail(CloseCode::ProtocolError, "continuation frame without an open message");
  if (!continuation && msg_open_) return fail(CloseCode::ProtocolError, "new data message while a fragmented message is open");
  // accept_rsv let RSV1 through only on a first frame with an inflater set.
  const bool compressed = continuation ? msg_compressed_ : h.rsv != 0;
  const uint64_t so_far = continuation ? msg_len_ : 0;
  uint64_t limit = limits_.max_message;
  if (compressed) [[unlikely]] limit = compressed_wire_limit(limit);
  // Refused here, before any payload is delivered or buffered. Written as a subtraction because
  // so_far <= limit always holds, while the sum could overflow.
  if (limit != 0 && h.payload_len > limit - so_far) {
    return compressed ? fail_over(CloseCode::MessageTooBig, "compressed message", so_far + h.payload_len,
                                  " B > its wire limit", limit)
                      : fail_over(CloseCode::MessageTooBig, "message", so_far + h.payload_len, " B > max_message", limit);
  }
  return true;
}

// Applies every header-time rule, then sets up the frame. Returns false after failing the connection.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::begin_frame(const FrameHeader& h) noexcept {
  if (!header_rules_ok<true>(h)) return false;
  if (h.opcode == 0) {
    msg_len_ += h.payload_len;
  } else if (!opcode_is_control(h.opcode)) {
    msg_op_ = static_cast<Opcode>(h.opcode);
    msg_open_ = true;
    msg_begin_pending_ = true;
    msg_compressed_ = h.rsv != 0;  // header_rules_ok let RSV1 through only where it means compressed
    msg_len_ = h.payload_len;
    utf8_.reset();
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
  if (msg_compressed_) [[unlikely]] return deliver_inflated(p, n, msg_end);
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

// ------------------------------------------------------------------ permessage-deflate (RFC 7692)

// RSV1 means "compressed" on the first frame of a data message once permessage-deflate is agreed
// (7.2.3.1); on a continuation or a control frame it is an error (6.1), RSV2/RSV3 always are.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::accept_rsv(const FrameHeader& h) noexcept {
  if ((h.rsv & 0x30) != 0) return fail(CloseCode::ProtocolError, "RSV2 or RSV3 set: no extension defines them");
  if (inflater_ == nullptr && source_ == nullptr) {
    return fail(CloseCode::ProtocolError, "RSV bit set without a negotiated extension");
  }
  if (opcode_is_control(h.opcode)) return fail(CloseCode::ProtocolError, "RSV1 on a control frame");
  if (h.opcode == 0) return fail(CloseCode::ProtocolError, "RSV1 on a continuation frame");
  return true;
}

// One chunk of a compressed message's payload: inflate it, deliver what came out. A message whose
// compressed bytes are all in this chunk is inflated, ended and delivered in this one call.
template <Role R, class Sink>
void ProtocolParser<R, Sink>::deliver_inflated(uint8_t* p, size_t n, bool msg_end) noexcept {
  if (inflater_ == nullptr && (inflater_ = source_->get_inflater()) == nullptr) {
    win_have_ = 0;
    fail(CloseCode::InternalError, "no memory for the decompressor");
    return;
  }
  if (!inflater_->in_message()) {
    if (n == 0 && !msg_end) return;  // an empty first fragment: nothing to inflate yet
    inflated_ = 0;
    win_have_ = 0;
    if (inflater_->begin(/*whole=*/msg_end) != InflateStatus::Ok) {
      fail_inflating(CloseCode::InternalError, "no memory for the decompressor");
      return;
    }
  }
  if (!inflate_chunk({p, n}, false)) return;
  if (!msg_end) {
    if (win_have_ > 0) deliver_window(false);  // the window is shared: nothing may stay in it
    return;
  }
  // RFC 7692 7.2.2: append 00 00 ff ff, then inflate to the end (unless a BFINAL block ended it).
  if (!inflater_->stream_ended() && !inflate_chunk({kDeflateTail, sizeof kDeflateTail}, true)) return;
  inflater_->end();  // before the last delivery: the sink may reset the memory the stream lived on
  if (msg_op_ == Opcode::Text && utf8_.result() != Utf8Validator::Result::Complete) {
    win_have_ = 0;
    fail(CloseCode::InvalidPayload, "text message ends inside a UTF-8 character");
    return;
  }
  deliver_window(true);
}

// Inflates `in` (payload, or the appended tail) into the window, delivering each time the window
// fills. False after failing.
template <Role R, class Sink>
bool ProtocolParser<R, Sink>::inflate_chunk(std::span<const uint8_t> in, bool tail) noexcept {
  const uint64_t max = limits_.max_message;
  while (true) {
    const size_t room = window_.size() - win_have_;
    // Never inflate more than one byte past the limit: the check runs as the bytes appear.
    const uint64_t left = max == 0 ? UINT64_MAX : max - inflated_;
    const size_t cap = left < room ? static_cast<size_t>(left) + 1 : room;
    size_t produced = 0;
    const InflateStatus st = inflater_->step(in, window_.subspan(win_have_, cap), produced, tail);
    // The first bad byte decides, whatever the read split: an invalid UTF-8 byte within the limit
    // (1007) before the byte past it (1009).
    const size_t within = produced > left ? static_cast<size_t>(left) : produced;
    if (within != 0 && msg_op_ == Opcode::Text &&
        utf8_.feed(window_.subspan(win_have_, within)) == Utf8Validator::Result::Invalid) {
      return fail_inflating(CloseCode::InvalidPayload, "invalid UTF-8 in text message");
    }
    if (produced > left) [[unlikely]] return fail_inflated_over(max);
    inflated_ += produced;
    win_have_ += produced;
    switch (st) {
      case InflateStatus::BadData: return fail_inflating(CloseCode::InvalidPayload, "invalid compressed data");
      case InflateStatus::NoMemory: return fail_inflating(CloseCode::InternalError, "no memory for the decompressor");
      case InflateStatus::StreamEnd:
        // What is left of the appended tail does not count; payload bytes after BFINAL do.
        if (!in.empty() && !tail) {
          return fail_inflating(CloseCode::InvalidPayload, "data after the final deflate block");
        }
        return true;
      case InflateStatus::Ok: break;
    }
    if (win_have_ == window_.size()) {
      deliver_window(false);
      continue;
    }
    if (produced < cap) return true;  // zlib had room to spare: the input is used up
  }
}

template <Role R, class Sink>
void ProtocolParser<R, Sink>::deliver_window(bool msg_end) noexcept {
  const bool begin = msg_begin_pending_;
  msg_begin_pending_ = false;
  if (msg_end) {
    msg_open_ = false;
    msg_len_ = 0;
    msg_compressed_ = false;
  }
  const size_t n = win_have_;
  win_have_ = 0;
  sink_.on_data(msg_op_, window_.first(n), begin, msg_end);
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
    char why[48] = "close code ";
    const auto end = std::to_chars(why + 11, why + sizeof why, code).ptr;
    const std::string_view tail = " not allowed on the wire";
    std::memcpy(end, tail.data(), tail.size());
    fail(CloseCode::ProtocolError, {why, static_cast<size_t>(end - why) + tail.size()});
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
