// Worker: sockets. Connect, handshake, read, build and write frames, close, fail.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "load/frame_builder.hpp"
#include "load/worker.hpp"

namespace wsalloc::load {

namespace {
constexpr uint64_t kBackoffNs = 50'000'000;        // churn: wait before reconnecting after a failure
constexpr uint64_t kCloseGraceNs = 1'000'000'000;  // wait for the peer's Close
}  // namespace

std::string Worker::endpoint() const {
  const bool v6 = cfg_.host.find(':') != std::string::npos;
  return (v6 ? "[" + cfg_.host + "]" : cfg_.host) + ":" + std::to_string(cfg_.port);
}

void Worker::set_dead(Conn& c) noexcept {
  if (c.state == ConnState::Dead) return;
  c.state = ConnState::Dead;
  ++dead_;
  if (c.live_receiver) {
    c.live_receiver = false;
    auto& bc = sh_.broadcast;
    bc.receivers_live.fetch_sub(1, std::memory_order_acq_rel);
    if (bc.sender_worker) bc.sender_worker->wake();  // completions may now need one ack fewer
  }
  if (c.role == ConnRole::BroadcastSender) sh_.broadcast.sending_done.store(true, std::memory_order_release);
}

// ---------------------------------------------------------------------------------- connect

void Worker::start_connect(Conn& c, uint64_t now) noexcept {
  ++c.gen;
  c.connect_start_ns = now;
  c.state = ConnState::Connecting;
  const int fd = ::socket(sh_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(c, Failure::Connect, std::string("socket(): ") + std::strerror(errno));
    return;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.fd = fd;
  const int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&sh_.addr), sh_.addr_len);
  if (r != 0 && errno != EINPROGRESS) {
    fail(c, Failure::Connect, "connect " + endpoint() + ": " + std::strerror(errno));
    return;
  }
  // Edge-triggered, registered once for the socket's life: no epoll_ctl on the message path.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = (uint64_t{c.gen} << 32) | c.local;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    fail(c, Failure::Connect, std::string("epoll_ctl(ADD): ") + std::strerror(errno));
    return;
  }
  set_deadline(c, now + static_cast<uint64_t>(cfg_.connect_timeout_s * 1e9));
  // r == 0 (an immediate loopback connect): the EPOLLOUT edge reported on ADD finishes it.
}

void Worker::on_connect_ready(Conn& c, uint64_t now) noexcept {
  if (c.state != ConnState::Connecting) return;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    fail(c, Failure::Connect, "connect " + endpoint() + ": " + std::strerror(err));
    return;
  }
  if (cfg_.mode == Mode::Raw) {
    c.state = ConnState::Open;
    c.session_sent = 0;
    c.deadline_ns = 0;
    mark_dirty(c);
    return;
  }
  make_client_key(rng_, c.key);
  uint8_t* p = c.out.reserve(c.out.capacity());
  const size_t n = p ? write_client_request(reinterpret_cast<char*>(p), c.out.capacity(), cfg_.host, cfg_.port, cfg_.path,
                                            std::string_view(c.key, kClientKeyChars), cfg_.deflate_offer)
                     : 0;
  if (n == 0) {
    fail(c, Failure::Handshake, "upgrade request for path of " + std::to_string(cfg_.path.size()) + " B does not fit the " +
                                    std::to_string(c.out.capacity()) + " B write buffer");
    return;
  }
  c.out.commit(n);
  if (c.response.empty()) c.response.resize(kMaxResponseHead);
  c.response_len = 0;
  c.state = ConnState::Handshaking;
  flush(c);
}

// ------------------------------------------------------------------------------------- read

void Worker::on_readable(Conn& c) noexcept {
  const uint32_t gen = c.gen;
  for (;;) {
    const ssize_t n = ::recv(c.fd, recv_buf_.data(), recv_buf_.size(), 0);
    if (n > 0) {
      now_ = mono_ns();  // one clock read per recv: every echo in this batch arrived together
      const std::span<uint8_t> bytes(recv_buf_.data(), static_cast<size_t>(n));
      switch (c.state) {
        case ConnState::Handshaking:
          read_handshake(c, bytes);
          break;
        case ConnState::Open:
        case ConnState::Closing:
          if (cfg_.mode == Mode::Raw) {
            read_raw(c, bytes);
          } else {
            c.parser.feed(bytes);
            after_feed(c);
          }
          break;
        default:
          break;
      }
      if (c.gen != gen || c.fd < 0) return;
      // Edge-triggered: a short read means the socket was drained; new bytes raise a new edge.
      if (static_cast<size_t>(n) < recv_buf_.size()) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    const std::string why = n == 0 ? "server closed the TCP connection" : std::string("recv: ") + std::strerror(errno);
    switch (c.state) {
      case ConnState::Closing:
        finish_close(c);
        break;
      case ConnState::Handshaking:
        fail(c, Failure::Handshake, why + " during the handshake with " + endpoint());
        break;
      default:
        fail(c, Failure::UnexpectedClose, why + " (connection #" + std::to_string(c.id) +
                                              (cfg_.mode == Mode::Raw ? ")" : ", no Close frame)"));
        break;
    }
    return;
  }
  if (c.state == ConnState::Open) pump(c);
}

void Worker::read_handshake(Conn& c, std::span<uint8_t> bytes) noexcept {
  const size_t room = c.response.size() - c.response_len;
  const size_t take = std::min(room, bytes.size());
  std::memcpy(c.response.data() + c.response_len, bytes.data(), take);
  c.response_len += take;
  ResponseInfo info;
  const std::string_view received(reinterpret_cast<const char*>(c.response.data()), c.response_len);
  const ResponseCheck check =
      check_server_response(received, std::string_view(c.key, kClientKeyChars), info, cfg_.deflate());
  if (check == ResponseCheck::Incomplete) return;
  if (check != ResponseCheck::Accepted) {
    fail(c, Failure::Handshake, "handshake with " + endpoint() + cfg_.path + " refused: " + to_string(check) +
                                    (info.status ? " (HTTP " + std::to_string(info.status) + ")" : ""));
    return;
  }
  if (cfg_.deflate() && !start_deflate(c, info)) {
    fail(c, Failure::Handshake, "handshake with " + endpoint() + cfg_.path +
                                    ": the permessage-deflate response breaks RFC 7692 7.1 for the offer \"" +
                                    cfg_.deflate_offer + "\"");
    return;
  }
  ++counters.handshakes;
  if (phase_ == Phase::Sending && window_open_) ++counters.window_handshakes;
  handshake_latency.record(now_ - c.connect_start_ns);
  c.state = ConnState::Open;
  c.deadline_ns = 0;
  c.session_sent = 0;
  if (c.role == ConnRole::BroadcastReceiver && !c.live_receiver) {
    c.live_receiver = true;
    sh_.broadcast.receivers_live.fetch_add(1, std::memory_order_acq_rel);
  }
  // Frames that arrived right behind the 101 (a ping, say) sit in the response buffer; the rest of
  // this recv() batch, beyond the buffer, was already included in it (take <= room).
  const size_t extra = c.response_len - info.head_bytes;
  if (extra > 0) {
    c.parser.feed(std::span<uint8_t>(c.response.data() + info.head_bytes, extra));
    after_feed(c);
  }
  if (take < bytes.size() && c.state == ConnState::Open) {
    c.parser.feed(bytes.subspan(take));
    after_feed(c);
  }
  if (c.state == ConnState::Open) mark_dirty(c);
}

void Worker::after_feed(Conn& c) noexcept {
  const PeerEvent ev = c.peer_event;
  if (ev == PeerEvent::None) return;
  c.peer_event = PeerEvent::None;
  if (ev == PeerEvent::Closed) {
    if (c.state == ConnState::Closing) {  // the answer to our Close
      finish_close(c);
      return;
    }
    send_close(c, c.peer_code == 1005 ? 1000 : c.peer_code);  // echo it, as RFC 6455 5.5.1 asks
    fail(c, Failure::UnexpectedClose, peer_detail_);
    return;
  }
  send_close(c, c.peer_code);
  fail(c, Failure::Protocol, peer_detail_);
}

// ------------------------------------------------------------------------------------ write

void Worker::top_up(Conn& c) noexcept {
  if (cfg_.open_loop() || cfg_.mode == Mode::Idle || c.role == ConnRole::BroadcastReceiver || !sending_allowed()) return;
  if (c.role == ConnRole::BroadcastSender) {
    while (c.next_seq < bc_complete_ + cfg_.pipeline && take_budget()) c.queue.push({c.next_seq++, 0});
    return;
  }
  while (c.queue.size() < cfg_.pipeline) {
    if (cfg_.churn && c.session_sent + c.queue.pending() >= cfg_.churn) break;
    if (!take_budget()) break;
    c.queue.push({c.next_seq++, 0});
  }
}

Worker::BuildStop Worker::build_pending(Conn& c, uint64_t now) noexcept {
  // Loop invariants in locals: through cfg_ (a reference) they would be reloaded every message.
  const core::Opcode op = is_text(cfg_.kind) ? core::Opcode::Text : core::Opcode::Binary;
  const bool raw = cfg_.mode == Mode::Raw, open_loop = cfg_.open_loop();
  const uint64_t churn = cfg_.churn ? cfg_.churn : UINT64_MAX, late_ns = cfg_.late_tolerance_us * 1000;
  const unsigned fragments = cfg_.fragments;
  const bool single_class = cat_.classes() == 1;
  while (c.queue.pending() > 0) {
    if (c.session_sent >= churn) return BuildStop::Done;
    InFlight& e = c.queue.at(c.queue.written());
    const uint32_t cls = cat_.class_of(e.seq, c.stream_offset);
    const auto tmpl = cat_.bytes(cls);
    // + kMaxFrameHeader: PrebuiltHeader::write copies 14 bytes whatever the header's length.
    uint8_t* p = c.out.reserve(room_bytes_[cls] + core::kMaxFrameHeader);
    if (p == nullptr) return BuildStop::BufferFull;
    uint8_t head[kSeqBytes];
    encode_seq(e.seq, head);
    const size_t hn = std::min(kSeqBytes, tmpl.size());
    if (raw) {
      std::memcpy(p, head, hn);
      const size_t at = c.out.tail_offset(), size = tmpl.size();
      if (c.out.moves() != c.raw_moves) {  // compaction moved bytes: nothing is known to be in place
        c.raw_prefilled = 0;
        c.raw_moves = c.out.moves();
      }
      const bool in_place = single_class && at % size == 0 && at + size <= c.raw_prefilled;
      if (!in_place) {
        std::memcpy(p + hn, tmpl.data() + hn, size - hn);
        if (single_class && at % size == 0 && at == c.raw_prefilled) c.raw_prefilled = at + size;
      }
    } else if (c.deflater) [[unlikely]] {
      const size_t n = write_compressed(c, p, op, {head, hn}, tmpl.subspan(hn));
      if (n == 0) {
        fail(c, Failure::Protocol, "compressing a message failed (no memory for zlib)");
        return BuildStop::Done;
      }
      c.out.commit(n);
    } else if (fragments == 1) {
      write_masked_message(p, headers_[cls], {head, hn}, tmpl.subspan(hn), rng_);
    } else {
      write_masked_message(p, op, {head, hn}, tmpl.subspan(hn), fragments, rng_);
    }
    if (!c.deflater) c.out.commit(wire_bytes_[cls]);
    if (open_loop) {
      if (punctuality(e.due_ns, now, late_ns) == Punctuality::Behind) ++counters.behind_schedule;
    } else {
      e.due_ns = now;
    }
    ++c.session_sent;
    ++counters.sent;
    c.queue.mark_written();
    if (c.role == ConnRole::BroadcastSender) {
      auto& bc = sh_.broadcast;
      auto& slot = bc.ring[e.seq % BroadcastState::kRing];
      // Seqlock write (read in account_broadcast): invalidate, publish the time, then the number.
      slot.seq.store(UINT64_MAX, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_release);
      slot.acks.store(0, std::memory_order_relaxed);
      slot.sent_ns.store(e.due_ns, std::memory_order_relaxed);
      slot.seq.store(e.seq, std::memory_order_release);
      bc.sent.store(e.seq + 1, std::memory_order_release);
      if (measured(e.due_ns)) ++counters.broadcast_sent;
      c.queue.pop();  // nothing comes back to the sender
    }
  }
  return BuildStop::Done;
}

void Worker::pump(Conn& c) noexcept {
  if (c.state != ConnState::Open) return;
  if (cfg_.churn && c.session_sent >= cfg_.churn && c.queue.written() == 0) {
    start_close(c, now_);
    return;
  }
  top_up(c);
  const uint64_t now = mono_ns();  // send time of everything built in this pump
  for (;;) {
    const BuildStop why = build_pending(c, now);
    flush(c);
    if (c.state != ConnState::Open || c.blocked || why != BuildStop::BufferFull) break;
  }
}

void Worker::flush(Conn& c) noexcept {
  while (!c.out.empty()) {
    const auto u = c.out.unsent();
    const ssize_t n = ::send(c.fd, u.data(), u.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      c.blocked = true;
      return;
    }
    const std::string why = std::string("send: ") + std::strerror(errno);
    switch (c.state) {
      case ConnState::Closing: finish_close(c); break;
      case ConnState::Handshaking: fail(c, Failure::Handshake, why + " during the handshake with " + endpoint()); break;
      default: fail(c, Failure::UnexpectedClose, why + " (connection #" + std::to_string(c.id) + ")"); break;
    }
    return;
  }
  c.blocked = false;
}

// ------------------------------------------------------------------------------------ close

void Worker::send_close(Conn& c, uint16_t code) noexcept {
  if (c.fd < 0 || cfg_.mode == Mode::Raw) return;
  const uint8_t payload[2] = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  uint8_t* p = c.out.reserve(core::kMaxFrameHeader + sizeof payload);
  if (p == nullptr) return;  // the buffer is full of unsent data: the socket close will have to do
  c.out.commit(write_masked_control(p, core::Opcode::Close, payload, rng_));
  flush(c);
}

void Worker::start_close(Conn& c, uint64_t now) noexcept {
  c.state = ConnState::Closing;
  set_deadline(c, now + kCloseGraceNs);
  if (cfg_.mode == Mode::Raw) {
    ::shutdown(c.fd, SHUT_WR);  // the echo server closes its side after our FIN
    return;
  }
  send_close(c, 1000);
}

void Worker::finish_close(Conn& c) noexcept {
  close_socket(c);
  after_session(c);
}

void Worker::after_session(Conn& c) noexcept {
  if (cfg_.churn && phase_ == Phase::Sending) {
    start_connect(c, now_);  // churn: the next session on the same slot, same sequence
    return;
  }
  set_dead(c);
}

void Worker::close_socket(Conn& c) noexcept {
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set (the fd is never dup'ed)
  c.fd = -1;
  c.out.clear();
  retire_deflate(c);
  c.parser.reset();
  c.in_message = false;
  c.response_len = 0;
  c.blocked = false;
  c.deadline_ns = 0;
  c.peer_event = PeerEvent::None;
}

void Worker::fail(Conn& c, Failure why, const std::string& detail) noexcept {
  ErrorCounts& e = counters.errors;
  switch (why) {
    case Failure::Connect: ++e.connect_failed; break;
    case Failure::Handshake: ++e.handshake_failed; break;
    case Failure::UnexpectedClose: ++e.unexpected_close; break;
    case Failure::Protocol: ++e.protocol_error; break;
  }
  try {
    note_error(detail);
  } catch (...) {
  }
  // Messages written on this socket died with it.
  if (c.queue.written() > 0) {
    e.missing += c.queue.written();
    c.queue.pop(c.queue.written());
  }
  close_socket(c);
  if (cfg_.churn && phase_ == Phase::Sending) {
    c.state = ConnState::Backoff;
    set_deadline(c, now_ + kBackoffNs);
    return;
  }
  counters.unsent += c.queue.pending();
  c.queue.clear();
  set_dead(c);
}

}  // namespace wsalloc::load
