// Conn: one client connection's state, owned by exactly one Worker (never touched by another
// thread). Conns live in the worker's vector for the whole run and are never freed or moved
// (the parser holds a reference to the sink inside the Conn); a reconnect reuses the same Conn with
// a new fd and a new generation, so a stale epoll event for the old fd is recognised and dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/deflate_stream.hpp"
#include "core/protocol.hpp"
#include "load/client_handshake.hpp"
#include "load/in_flight.hpp"
#include "load/verify.hpp"
#include "load/write_buffer.hpp"

namespace wsalloc::load {

class Worker;
struct Conn;

enum class ConnState : uint8_t {
  NotStarted,   // waiting for a connect slot during set-up
  Connecting,   // non-blocking connect() in progress
  Handshaking,  // request sent, reading the 101
  Open,
  Closing,      // we sent Close (or shut down a raw socket) and wait for the peer's
  Backoff,      // churn: waiting to reconnect after a failure
  Dead,         // failed or closed for good
};

enum class ConnRole : uint8_t { Echo, BroadcastSender, BroadcastReceiver };

// What the parser's callbacks asked for; acted on after feed() returns, because the connection
// must not be torn down while the parser is still walking its buffer.
enum class PeerEvent : uint8_t { None, Closed, ProtocolError };

// Forwards the parser's callbacks to the worker (defined in worker_frames.cpp).
struct ConnSink {
  Worker* worker;
  Conn* conn;
  void on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end);
  void on_ping(std::span<const uint8_t> payload);
  void on_pong(std::span<const uint8_t> payload) {}
  void on_close(uint16_t code, std::string_view reason);
  void on_protocol_error(core::CloseCode code, std::string_view why);
};

struct Conn {
  Conn(Worker* w, uint32_t id_, uint32_t local_, ConnRole role_, const PayloadCatalogue& cat, uint32_t stream_offset_)
      : id(id_), local(local_), role(role_), stream_offset(stream_offset_), verifier(cat, stream_offset_),
        sink{w, this}, parser(sink, core::ProtocolLimits{0}) {}
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  const uint32_t id;             // global index (0..N-1; the broadcast sender is N)
  const uint32_t local;          // index in the worker's vector (epoll data)
  const ConnRole role;
  const uint32_t stream_offset;  // where this connection's sequence enters the size mix
  int fd = -1;
  uint32_t gen = 0;              // bumped on every new socket; epoll data carries it
  ConnState state = ConnState::NotStarted;
  bool blocked = false;          // last send() hit EAGAIN: wait for EPOLLOUT
  bool dirty = false;            // in the worker's dirty list: pump() at the end of the iteration
  bool live_receiver = false;    // counted in BroadcastState::receivers_live
  bool in_message = false;       // a data message is being verified
  bool opcode_ok = true;         // the message's opcode is the one that was sent
  PeerEvent peer_event = PeerEvent::None;
  uint16_t peer_code = 0;        // close code to echo / to fail with
  uint64_t next_seq = 0;         // echo/sender: next sequence number to schedule; receiver: next expected
  // Broadcast shard receivers: the next expected number of each publisher (index tag - 1; ours
  // unused), kNotSeen until its first message, which may legitimately be any number (that publisher
  // started before this connection joined). Sized once at set-up.
  static constexpr uint64_t kNotSeen = UINT64_MAX;
  std::vector<uint64_t> foreign_next;
  uint64_t session_sent = 0;     // messages written since this socket opened (churn)
  uint64_t connect_start_ns = 0;
  uint64_t deadline_ns = 0;      // connect/handshake/close timeout, or backoff end; 0 = none
  InFlightQueue queue;
  WriteBuffer out;
  // Raw mode, one size class: out's memory [0, raw_prefilled) holds back-to-back copies of the
  // template, valid while out.moves() == raw_moves; a message landing on a copy needs only its
  // 8-byte sequence field written, not the whole template (64 KiB messages: one memcpy fewer).
  size_t raw_prefilled = 0;
  uint64_t raw_moves = 0;
  std::vector<uint8_t> response;  // handshake response head, capacity kMaxResponseHead
  size_t response_len = 0;
  char key[kClientKeyChars] = {};
  MessageVerifier verifier;
  // permessage-deflate, when this session agreed to it (worker_deflate.cpp): made at the 101,
  // dropped (their counts added to the worker's) when the socket closes.
  std::unique_ptr<core::MessageDeflater> deflater;
  std::unique_ptr<core::MessageInflater> inflater;
  ConnSink sink;
  core::ProtocolParser<core::Role::Client, ConnSink> parser;
};

}  // namespace wsalloc::load
