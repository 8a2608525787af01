#pragma once
// session.hpp: one WebSocket connection's protocol state machine, without I/O.
//
// Bytes come in through on_bytes() (from a socket read or, in tests, from memory); replies go out
// through the pipeline to a Writer. The transport (connection.hpp) only reads, calls on_bytes(),
// flushes and acts on the returned Next. Because nothing here touches a socket, the same code runs
// on the in-memory transport for exact allocation counts and fuzzing.
#include <algorithm>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>

#include "core/close.hpp"
#include "core/deflate_negotiation.hpp"
#include "core/frame.hpp"
#include "core/handshake.hpp"
#include "core/protocol.hpp"
#include "variants/pipeline.hpp"
#include "variants/replier.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

struct SessionLimits {
  core::HandshakeLimits handshake;   // max header bytes: default 8 KiB (431 beyond)
  core::ProtocolLimits protocol;     // max message: default 16 MiB (1009 beyond)
  core::DeflateConfig deflate;       // permessage-deflate: off by default (--deflate)
};

enum class SessionPhase : uint8_t {
  Handshaking,  // reading the HTTP upgrade request
  Open,         // exchanging messages
  Closing,      // a close frame or a final HTTP response is queued: flush it, then end TCP
};

// What the transport does after on_bytes().
enum class Next : uint8_t {
  Continue,  // keep reading
  Close,     // flush what is queued, then shut the connection down gracefully
};

// Answers `GET /stats` (plain HTTP on the WebSocket port) with a JSON body.
using StatsSource = std::function<std::string()>;

// App concept: the application behind a session.
//   struct ConnState;                                   per-connection application state
//   void on_open(ConnState&, std::string_view target);  after the 101 is queued
//   void on_message(Replier&, ConnState&, core::Opcode, std::span<const uint8_t> payload);
template <MessagePipeline Pipeline, class App>
class Session {
 public:
  Session(typename Pipeline::Plan& plan, Writer& writer, App& app, const SessionLimits& limits,
          const StatsSource* stats = nullptr)
      : pipe_(plan, writer), app_(app), limits_(limits), stats_(stats), parser_(*this, limits.protocol) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The per-message path: parse, handle, queue replies. `bytes` is consumed entirely and may be
  // modified (frames are unmasked in place).
  // REQUIRES: `bytes` stays valid and unchanged until the flush() that ends this event: the
  // zerocopy pipeline may reply with views into it (a receive buffer is reused only after that).
  Next on_bytes(std::span<uint8_t> bytes) {
    pipe_.begin_event(bytes);
    if (phase_ == SessionPhase::Open) [[likely]] {
      parser_.feed(bytes);
    } else if (phase_ == SessionPhase::Handshaking) {
      on_handshake_bytes(bytes);
    }
    return phase_ == SessionPhase::Closing ? Next::Close : Next::Continue;
  }

  WriteOutcome flush() { return pipe_.flush(); }
  size_t unsent_bytes() const noexcept { return pipe_.unsent_bytes(); }
  SessionPhase phase() const noexcept { return phase_; }
  // Open phase only (see ProtocolParser::bytes_to_next_header); nullopt otherwise.
  std::optional<uint64_t> bytes_to_next_header() const noexcept {
    return phase_ == SessionPhase::Open ? parser_.bytes_to_next_header() : std::nullopt;
  }
  bool message_open() const noexcept { return parser_.message_open(); }
  Pipeline& pipeline() noexcept { return pipe_; }
  typename App::ConnState& app_state() noexcept { return app_state_; }

  // Server-initiated close (shutdown, timeouts, slow consumers). No-op unless open.
  void close(core::CloseCode code, std::string_view reason) {
    if (phase_ == SessionPhase::Open) send_close(static_cast<uint16_t>(code), reason);
    phase_ = SessionPhase::Closing;
  }

  // ---- ProtocolParser sink ----
  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    Bound bound{app_, app_state_};
    pipe_.on_data(bound, op, chunk, begin, end);
  }
  void on_ping(std::span<const uint8_t> payload) { pipe_.send(core::Opcode::Pong, payload); }
  void on_pong(std::span<const uint8_t>) {}  // unsolicited pongs are allowed and ignored (5.5.3)
  void on_close(uint16_t code, std::string_view) {
    // Echo the peer's code (5.5.1); a close without a code gets an empty close back.
    if (code == static_cast<uint16_t>(core::CloseCode::NoStatus)) {
      pipe_.send(core::Opcode::Close, {});
    } else {
      send_close(code, {});
    }
    phase_ = SessionPhase::Closing;
  }
  void on_protocol_error(core::CloseCode code, std::string_view why) {
    send_close(static_cast<uint16_t>(code), why);
    phase_ = SessionPhase::Closing;
  }

 private:
  // The application with this connection's state bound, as the pipeline calls it.
  struct Bound {
    App& app;
    typename App::ConnState& state;
    void on_message(Replier& r, core::Opcode op, std::span<const uint8_t> payload) {
      app.on_message(r, state, op, payload);
    }
  };

  // Only for a request that arrives in more than one read: the bytes so far, up to the header
  // limit (the parser decides within it: a longer request is a 431, so more is never kept).
  struct PendingHandshake {
    explicit PendingHandshake(const core::HandshakeParser& p) : parser(p) {}
    core::HandshakeParser parser;
    std::string bytes;
  };

  void send_close(uint16_t code, std::string_view reason) {
    uint8_t payload[2 + core::kMaxCloseReason];
    size_t n = core::write_close_payload(payload, code, reason);
    pipe_.send(core::Opcode::Close, {payload, n});
  }

  void on_handshake_bytes(std::span<uint8_t> bytes) {
    // Fast path: the whole request in one read is parsed where it lies; no copy, no allocation.
    core::HandshakeParser direct(limits_.handshake);
    core::HandshakeParser* parser = &direct;
    std::span<uint8_t> request = bytes;
    const size_t earlier = pending_ ? pending_->bytes.size() : 0;  // request bytes of earlier reads
    if (pending_) {
      pending_->bytes.append(reinterpret_cast<const char*>(bytes.data()), kept_of(bytes.size(), earlier));
      parser = &pending_->parser;
      request = {reinterpret_cast<uint8_t*>(pending_->bytes.data()), pending_->bytes.size()};
    }
    auto status = parser->feed({reinterpret_cast<const char*>(request.data()), request.size()});
    if (status == core::HandshakeStatus::Incomplete) {
      if (!pending_) {
        pending_ = std::make_unique<PendingHandshake>(direct);
        pending_->bytes.assign(reinterpret_cast<const char*>(bytes.data()), kept_of(bytes.size(), 0));
      }
      return;
    }
    const core::HandshakeRequest& req = parser->request();
    if (status == core::HandshakeStatus::NotWebSocket && stats_ && req.target == "/stats") {
      respond_stats();
    } else {
      char response[512];
      char extensions[core::kMaxDeflateResponse];
      size_t ext = 0;
      if (status == core::HandshakeStatus::Accepted && limits_.deflate.enabled) [[unlikely]]
        ext = negotiate_deflate(req, extensions, sizeof extensions);
      size_t n = core::write_handshake_response(status, req, response, sizeof response, {extensions, ext});
      pipe_.send_raw({reinterpret_cast<const uint8_t*>(response), n});
    }
    if (status != core::HandshakeStatus::Accepted) {
      phase_ = SessionPhase::Closing;
      pending_.reset();
      return;
    }
    phase_ = SessionPhase::Open;
    app_.on_open(app_state_, req.target);
    const size_t header_bytes = req.header_bytes;  // `req` lives in pending_ when it was split
    // Frames the client sent right behind its request are fed from `bytes`, this event's read,
    // never from the pending copy: a pipeline may reply with views into what the parser hands it
    // until the event's flush (zerocopy references payloads in place), and the copy dies here.
    // All of them are in `bytes`: the earlier reads held no end of the request (else the parser
    // would have answered then), so it ends in this read, at header_bytes - earlier.
    pending_.reset();
    std::span<uint8_t> rest = bytes.subspan(header_bytes - earlier);
    if (!rest.empty()) parser_.feed(rest);
  }

  // How many of a read's n bytes a split request keeps, `have` being kept already.
  size_t kept_of(size_t n, size_t have) const noexcept {
    const size_t limit = limits_.handshake.max_header_bytes;
    return have >= limit ? 0 : std::min(n, limit - have);
  }

  // permessage-deflate: accepts the first offer within our limits, sets the pipeline and the parser
  // up for it, and writes the response's extension value; 0 = declined (no offer we can take, or no
  // memory for the state), and the handshake completes without the extension.
  [[gnu::noinline]] size_t negotiate_deflate(const core::HandshakeRequest& req, char* out, size_t cap) {
    core::DeflateAgreement agreed;
    if (core::choose_deflate_offer(req.extension_list(), limits_.deflate, agreed) != core::OfferChoice::Accepted)
      return 0;
    try {
      parser_.set_inflater_source(&pipe_, pipe_.inflate_window());  // the thread's window, made once
    } catch (const std::bad_alloc&) {
      return 0;
    }
    pipe_.agree_deflate(agreed, {.level = limits_.deflate.level, .mem_level = limits_.deflate.mem_level});
    return core::write_deflate_response(agreed, out, cap);
  }

  [[gnu::noinline]] void respond_stats() {
    std::string body = (*stats_)();
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    pipe_.send_raw({reinterpret_cast<const uint8_t*>(head.data()), head.size()});
    pipe_.send_raw({reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  }

  Pipeline pipe_;
  App& app_;
  typename App::ConnState app_state_{};
  const SessionLimits& limits_;
  const StatsSource* stats_;
  core::ProtocolParser<core::Role::Server, Session> parser_;
  std::unique_ptr<PendingHandshake> pending_;
  SessionPhase phase_ = SessionPhase::Handshaking;
};

}  // namespace wsalloc::variants
