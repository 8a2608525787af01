// Worker: what the parser reports, verified and counted. The per-message path is on_data() ->
// MessageVerifier -> account(): no allocation, no syscall, one histogram record.
#include <algorithm>

#include "load/frame_builder.hpp"
#include "load/worker.hpp"

namespace wsalloc::load {

// ----------------------------------------------------------------------------- parser sink

void ConnSink::on_data(core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
  worker->on_data(*conn, op, chunk, begin, end);
}
void ConnSink::on_ping(std::span<const uint8_t> payload) { worker->on_ping(*conn, payload); }
void ConnSink::on_close(uint16_t code, std::string_view reason) { worker->on_close(*conn, code, reason); }
void ConnSink::on_protocol_error(core::CloseCode code, std::string_view why) { worker->on_protocol_error(*conn, code, why); }

namespace {

// What the next message on an echo connection should be: the oldest written one.
Expectation echo_expectation(const Conn& c) noexcept {
  const size_t w = c.queue.written();
  return {w ? c.queue.at(0).seq : 0, w ? w - 1 : 0, w > 0};
}

}  // namespace

// The per-message path of WebSocket mode: parser chunk -> verify -> account.
void Worker::on_data(Conn& c, core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) noexcept {
  // Closing: the run (or this session) is over and anything outstanding was already counted.
  // The broadcast sender may get its own messages back, depending on the server: not its business.
  if (c.state != ConnState::Open || c.role == ConnRole::BroadcastSender) return;
  const bool opcode_ok = op == (is_text(cfg_.kind) ? core::Opcode::Text : core::Opcode::Binary);
  if (begin) {
    Expectation e;
    if (c.role == ConnRole::BroadcastReceiver) {
      const uint64_t sent = sh_.broadcast.sent.load(std::memory_order_acquire);
      e = {c.next_seq, sent > c.next_seq + 1 ? sent - c.next_seq - 1 : 0, true};
    } else {
      e = echo_expectation(c);
    }
    VerifyResult r;
    if (end && opcode_ok && c.verifier.check_whole(e, chunk, r)) [[likely]] {  // a whole message, as expected
      if (c.role == ConnRole::BroadcastReceiver) {
        account_broadcast(c, r);
      } else {
        account(c, r);
      }
      return;
    }
    c.verifier.begin(e);
    c.opcode_ok = opcode_ok;
    c.in_message = true;
  }
  c.verifier.feed(chunk);
  if (!end) return;
  c.in_message = false;
  VerifyResult r = c.verifier.end();
  if (!c.opcode_ok && r.verdict == Verdict::Match) r.verdict = Verdict::Mismatch;
  if (c.role == ConnRole::BroadcastReceiver) {
    account_broadcast(c, r);
  } else {
    account(c, r);
  }
}

// The per-message path of raw mode: the stream carries no boundaries, so the expected message's
// size cuts it. Whole messages take the fast path; a message split across reads (or anything
// unusual) goes through the verifier's state.
void Worker::read_raw(Conn& c, std::span<const uint8_t> bytes) noexcept {
  if (c.state != ConnState::Open) return;  // closing: late bytes were already counted missing
  while (!bytes.empty()) {
    if (!c.in_message) {
      const Expectation e = echo_expectation(c);
      const size_t size = c.verifier.expected_size(e);
      VerifyResult r;
      if (e.expecting && bytes.size() >= size && c.verifier.check_whole(e, bytes.first(size), r)) [[likely]] {
        bytes = bytes.subspan(size);
        account(c, r);
        continue;
      }
      c.verifier.begin(e);
      c.in_message = true;
    }
    const size_t n = std::min(c.verifier.bytes_wanted(), bytes.size());
    c.verifier.feed(bytes.first(n));
    bytes = bytes.subspan(n);
    if (c.verifier.complete()) {
      c.in_message = false;
      account(c, c.verifier.end());
    }
  }
}

void Worker::on_ping(Conn& c, std::span<const uint8_t> payload) noexcept {
  if (c.state != ConnState::Open) return;
  uint8_t* p = c.out.reserve(core::kMaxFrameHeader + core::kMaxControlPayload);
  if (p == nullptr) return;  // write buffer full of unsent data; the server will ping again
  c.out.commit(write_masked_control(p, core::Opcode::Pong, payload, rng_));
  ++counters.pings_answered;
  mark_dirty(c);
}

void Worker::on_close(Conn& c, uint16_t code, std::string_view reason) noexcept {
  c.peer_event = PeerEvent::Closed;
  c.peer_code = code;
  if (c.state == ConnState::Closing) return;
  try {
    peer_detail_ = "server sent Close " + std::to_string(code) + (reason.empty() ? "" : " \"" + std::string(reason) + "\"") +
                   " on connection #" + std::to_string(c.id);
  } catch (...) {
  }
}

void Worker::on_protocol_error(Conn& c, core::CloseCode code, std::string_view why) noexcept {
  c.peer_event = PeerEvent::ProtocolError;
  c.peer_code = static_cast<uint16_t>(code);
  try {
    peer_detail_ = "server broke RFC 6455 on connection #" + std::to_string(c.id) + ": " + std::string(why);
  } catch (...) {
  }
}

// ------------------------------------------------------------------------------- accounting

void Worker::account(Conn& c, const VerifyResult& r) noexcept {
  ErrorCounts& e = counters.errors;
  if (r.verdict == Verdict::Unexpected) [[unlikely]] {
    ++e.mismatch;
    try {
      note_error("unexpected message on connection #" + std::to_string(c.id) + " while no echo was outstanding");
    } catch (...) {
    }
    return;
  }
  if (r.skipped > 0) [[unlikely]] {
    e.missing += r.skipped;
    try {
      note_error("echo of message " + std::to_string(r.seq - r.skipped) + " on connection #" + std::to_string(c.id) +
                 " never came: message " + std::to_string(r.seq) + " came first");
    } catch (...) {
    }
  }
  const InFlight sent = c.queue.at(r.skipped);
  c.queue.pop(r.skipped + 1);
  if (r.verdict == Verdict::Mismatch) [[unlikely]] {
    ++e.mismatch;
    try {
      note_error("echo of message " + std::to_string(r.seq) + " on connection #" + std::to_string(c.id) +
                 " differs from what was sent (content, length or opcode)");
    } catch (...) {
    }
    return;
  }
  if (!measured(sent.due_ns)) return;
  ++counters.messages;
  counters.payload_bytes += r.size;
  latency.record(now_ > sent.due_ns ? now_ - sent.due_ns : 0);
}

void Worker::broadcast_ack(uint64_t seq) noexcept {
  if (cfg_.open_loop()) return;  // only the closed-loop window waits for acks
  auto& bc = sh_.broadcast;
  const uint32_t acks = bc.ring[seq % BroadcastState::kRing].acks.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (acks >= bc.receivers_live.load(std::memory_order_acquire) && bc.sender_waiting.load(std::memory_order_seq_cst)) {
    if (bc.sender_waiting.exchange(false) && bc.sender_worker) bc.sender_worker->wake();
  }
}

// Another publisher's message (broadcast shards): in order per publisher, byte for byte. It was sent
// by another process, so there is no send time to measure from; it counts as a delivery when it
// arrives inside this run's window.
void Worker::account_foreign(Conn& c, const VerifyResult& r) noexcept {
  ErrorCounts& e = counters.errors;
  uint64_t& next = c.foreign_next[r.foreign_publisher - 1];
  if (next != Conn::kNotSeen && r.seq < next) [[unlikely]] {
    ++e.mismatch;
    try {
      note_error("broadcast message " + std::to_string(r.seq) + " of publisher " + std::to_string(r.foreign_publisher) +
                 " reached receiver #" + std::to_string(c.id) + " out of order (expected " + std::to_string(next) + " or later)");
    } catch (...) {
    }
    return;
  }
  if (next != Conn::kNotSeen && r.seq > next) [[unlikely]] {
    e.missing += r.seq - next;
    try {
      note_error("broadcast message " + std::to_string(next) + " of publisher " + std::to_string(r.foreign_publisher) +
                 " never reached receiver #" + std::to_string(c.id));
    } catch (...) {
    }
  }
  next = r.seq + 1;
  if (r.verdict != Verdict::Match) [[unlikely]] {
    ++e.mismatch;
    try {
      note_error("broadcast message " + std::to_string(r.seq) + " of publisher " + std::to_string(r.foreign_publisher) +
                 " reached receiver #" + std::to_string(c.id) + " altered");
    } catch (...) {
    }
    return;
  }
  if (now_ < window_start_ || now_ >= window_end_) return;
  ++counters.messages;
  ++counters.foreign;
  counters.payload_bytes += r.size;
}

void Worker::account_broadcast(Conn& c, const VerifyResult& r) noexcept {
  if (r.foreign_publisher != 0) [[unlikely]] {
    account_foreign(c, r);
    return;
  }
  ErrorCounts& e = counters.errors;
  auto& bc = sh_.broadcast;
  if (r.skipped > 0) [[unlikely]] {
    e.missing += r.skipped;
    for (uint64_t s = c.next_seq; s < r.seq; ++s) broadcast_ack(s);
    try {
      note_error("broadcast message " + std::to_string(c.next_seq) + " never reached receiver #" + std::to_string(c.id));
    } catch (...) {
    }
  }
  c.next_seq = r.seq + 1;
  broadcast_ack(r.seq);
  if (r.verdict != Verdict::Match) [[unlikely]] {
    ++e.mismatch;
    try {
      note_error("broadcast message " + std::to_string(r.seq) + " reached receiver #" + std::to_string(c.id) + " altered");
    } catch (...) {
    }
    return;
  }
  // Seqlock read (the writer is build_pending): the send time is valid only if the slot carried this
  // sequence number both before and after reading it.
  const auto& slot = bc.ring[r.seq % BroadcastState::kRing];
  const uint64_t seq_before = slot.seq.load(std::memory_order_acquire);
  const uint64_t sent_ns = slot.sent_ns.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  const uint64_t seq_after = slot.seq.load(std::memory_order_relaxed);
  if (seq_before != r.seq || seq_after != r.seq) {  // the ring moved on: latency unknown
    ++counters.latency_unknown;
    if (now_ >= window_start_) {
      ++counters.messages;
      counters.payload_bytes += r.size;
    }
    return;
  }
  if (!measured(sent_ns)) return;
  ++counters.messages;
  counters.payload_bytes += r.size;
  latency.record(now_ > sent_ns ? now_ - sent_ns : 0);
}

}  // namespace wsalloc::load
