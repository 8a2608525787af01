// Fuzz target: one variant's whole connection pipeline (variants/session.hpp + its Pipeline) on
// the in-memory transport: bytes in, bytes out, compared with a model of an echo server.
//
// Built once per variant (WSALLOC_FUZZ_VARIANT = MallocVariant, ArenaVariant, PoolVariant,
// ZeroCopyVariant); all four share the seed corpus corpus/session/.
// Input (fuzz_plan.hpp), flags:
//   bit 0     --allocator std (ServerOptions.allocator = Standard)
//   bit 1     a slow peer: the writer takes at most `budget` bytes per flush (bits 6-7: 1, 7, 64,
//             1000); what it refuses waits in the backlog and is drained after the last read
//   bit 2     raw: the body is the whole client stream, HTTP request included; otherwise the body
//             is what follows the RFC sample upgrade request
//   bit 3     (not raw) split anywhere: the cuts fall in the whole stream, the upgrade request
//             included (each raw cut value modulo the stream's size + 1), so the request may arrive
//             in pieces and end in the same read as the frames behind it; clear, the request is a
//             read of its own and the cuts split the body
//   bits 4-5  max_message: 16 MiB default, 0 = unlimited, 8, 300
// Each read lives in its own exact-size heap buffer that is overwritten and freed right after the
// flush that follows it, as a receive buffer is reused, and the regression runner's heap
// overwrites what it frees (tests/replay/scribbling_delete.cpp): a pipeline that keeps a view into
// a read, or into the session's own copy of a split request, past the flush answers with wrong
// bytes in any build, and is an ASan use-after-free report in the sanitizer builds.
// permessage-deflate is on (SessionLimits.deflate.enabled): a raw request that offers it gets the
// agreement core::choose_deflate_offer makes, named in the 101; then the reference reader inflates
// the client's RSV1 messages with its own zlib inflater, and every RSV1 reply is inflated the same
// way (the server's parameters) before it is compared.
// Model: the handshake verdict of core::HandshakeParser on the whole stream, then the reference
// reader's events (reference_frames.hpp): each message echoed as one frame of its type, each ping
// answered by a pong with its payload, pongs ignored, a close echoed with the peer's code (empty
// when it had none), a protocol error answered by a close with its code; nothing after a close.
// Checked: the output is the exact HTTP response followed by well-formed server frames (FIN, no
// RSV, unmasked, known opcode, minimal length, nothing truncated, nothing after a close) that the
// core parser in client role accepts; they equal the model's; a session that ended, and only one
// that ended, sent a close last, with a code valid on the wire, and a code other than the peer's
// echo is 1002, 1007 or 1009; Next::Close from then on; flush() never fails and leaves nothing
// unsent once the peer reads.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checking_sink.hpp"
#include "core/deflate_negotiation.hpp"
#include "core/handshake.hpp"
#include "core/protocol.hpp"
#include "fuzz_check.hpp"
#include "fuzz_plan.hpp"
#include "micro/memory_peer.hpp"
#include "reference_frames.hpp"
#include "replay_rig.hpp"
#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/replier.hpp"
#include "variants/session.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"

#ifndef WSALLOC_FUZZ_VARIANT
#error "define WSALLOC_FUZZ_VARIANT: MallocVariant, ArenaVariant, PoolVariant or ZeroCopyVariant"
#endif

namespace wsalloc::fuzz {
namespace {

using core::Opcode;
using variants::Next;
using variants::SessionPhase;
using Variant = variants::WSALLOC_FUZZ_VARIANT;

using micro::kUpgradeRequest;  // the in-memory transport's (harness/micro/memory_peer.hpp)
constexpr std::string_view kStatsBody = R"({"fuzz":true})";
constexpr uint64_t kMaxMessageChoices[4] = {core::ProtocolLimits{}.max_message, 0, 8, 300};
constexpr size_t kBudgetChoices[4] = {1, 7, 64, 1000};

struct Frame {
  uint8_t opcode = 0;
  std::string payload;
};

std::string describe(const std::vector<Frame>& frames) {
  std::string s;
  for (const Frame& f : frames) s += fmt::format("[op {} {} B] ", f.opcode, f.payload.size());
  return s;
}

uint16_t close_code_of(const Frame& f) {
  return static_cast<uint16_t>(static_cast<uint8_t>(f.payload[0]) << 8 | static_cast<uint8_t>(f.payload[1]));
}

// Strict walk over what the server wrote after its HTTP response. With permessage-deflate agreed
// (`inflater` set), RSV1 may mark a data frame compressed; its payload is inflated here.
std::vector<Frame> walk_server_frames(std::string_view wire, RefInflater* inflater) {
  std::vector<Frame> frames;
  size_t pos = 0;
  while (pos < wire.size()) {
    FUZZ_CHECK(frames.empty() || frames.back().opcode != 0x8, "{} bytes after the server's close frame",
               wire.size() - pos);
    FUZZ_CHECK(wire.size() - pos >= 2, "output ends inside a frame header at byte {}", pos);
    const auto b0 = static_cast<uint8_t>(wire[pos]), b1 = static_cast<uint8_t>(wire[pos + 1]);
    const uint8_t op = b0 & 0x0F;
    FUZZ_CHECK(b0 & 0x80, "server frame at byte {} without FIN (op {})", pos, op);
    const bool compressed = (b0 & 0x70) == 0x40 && inflater != nullptr && (op == 0x1 || op == 0x2);
    FUZZ_CHECK((b0 & 0x70) == 0 || compressed, "server frame at byte {} (op {}) with RSV bits {:#x}", pos, op, b0 & 0x70);
    FUZZ_CHECK((b1 & 0x80) == 0, "masked server frame at byte {}", pos);
    FUZZ_CHECK(op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA, "server frame opcode {} at byte {}",
               op, pos);
    const size_t ext = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
    FUZZ_CHECK(wire.size() - pos >= 2 + ext, "output ends inside a frame length at byte {}", pos);
    uint64_t len = b1 & 0x7F;
    if (ext) {
      len = 0;
      for (size_t i = 0; i < ext; ++i) len = len << 8 | static_cast<uint8_t>(wire[pos + 2 + i]);
    }
    const size_t minimal_ext = len < 126 ? 0 : len <= 0xFFFF ? 2 : 8;
    FUZZ_CHECK(ext == minimal_ext, "length {} encoded in {} extra bytes, minimal is {}", len, ext, minimal_ext);
    FUZZ_CHECK(op < 0x8 || len <= 125, "control frame (op {}) with {} payload bytes", op, len);
    pos += 2 + ext;
    FUZZ_CHECK(wire.size() - pos >= len, "frame of {} bytes truncated: {} left in the output", len, wire.size() - pos);
    frames.push_back({op, std::string(wire.substr(pos, len))});
    pos += len;
    if (compressed) {
      const std::string z = std::move(frames.back().payload);
      std::string& inflated = frames.back().payload;
      inflated.clear();
      inflater->begin_message();
      static constexpr uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};
      const auto a = inflater->inflate_all({reinterpret_cast<const uint8_t*>(z.data()), z.size()}, inflated, SIZE_MAX, false);
      const auto b = inflater->inflate_all(kTail, inflated, SIZE_MAX, true);
      FUZZ_CHECK(a != RefInflater::Status::BadData && b != RefInflater::Status::BadData,
                 "server frame at byte {}: {} compressed bytes the reference cannot inflate", pos - len, len);
    }
  }
  return frames;
}

// What an echo server answers to the reference's events.
struct Expected {
  std::vector<Frame> frames;
  bool closed = false;
  uint16_t peer_code = 0;  // the peer's close code when it sent one (echoed), else 0
  bool error = false;      // the last frame answers a protocol error: only its code is known
};

Expected model_replies(const Outcome& client) {
  Expected e;
  for (const Event& ev : client.events) {
    switch (ev.kind) {
      case EventKind::Message: e.frames.push_back({ev.opcode, ev.payload}); break;
      case EventKind::Ping: e.frames.push_back({0xA, ev.payload}); break;
      case EventKind::Pong: break;
      case EventKind::Close:
        e.closed = true;
        if (ev.code == 1005) {
          e.frames.push_back({0x8, {}});
        } else {
          e.peer_code = ev.code;
          e.frames.push_back({0x8, {static_cast<char>(ev.code >> 8), static_cast<char>(ev.code & 0xFF)}});
        }
        break;
      case EventKind::Error:
        e.closed = e.error = true;
        e.frames.push_back({0x8, {static_cast<char>(ev.code >> 8), static_cast<char>(ev.code & 0xFF)}});
        break;
    }
  }
  return e;
}

void check_frames(const std::vector<Frame>& got, const Expected& want, SessionPhase phase) {
  if (!got.empty() && got.back().opcode == 0x8) {
    const Frame& close = got.back();
    FUZZ_CHECK(close.payload.size() != 1, "server close frame with a 1-byte payload");
    if (!close.payload.empty()) {
      const uint16_t code = close_code_of(close);
      const bool on_wire = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                           (code >= 3000 && code <= 4999);
      FUZZ_CHECK(on_wire, "server close code {} is not valid on the wire", code);
      FUZZ_CHECK(code == want.peer_code || code == 1002 || code == 1007 || code == 1009,
                 "server close code {}: neither the peer's echo ({}) nor 1002/1007/1009", code, want.peer_code);
    }
  }
  const bool sent_close = !got.empty() && got.back().opcode == 0x8;
  FUZZ_CHECK(sent_close == (phase == SessionPhase::Closing), "session phase {} but last frame is {}a close",
             static_cast<int>(phase), sent_close ? "" : "not ");
  bool same = got.size() == want.frames.size();
  for (size_t i = 0; same && i < got.size(); ++i) {
    const bool last_error_close = want.error && i + 1 == got.size();
    same = got[i].opcode == want.frames[i].opcode &&
           (last_error_close ? got[i].payload.size() >= 2 && got[i].payload.compare(0, 2, want.frames[i].payload) == 0
                             : got[i].payload == want.frames[i].payload);
  }
  FUZZ_CHECK(same, "server sent {}\n  model expects {}", describe(got), describe(want.frames));
}

// The server's frames as a client sees them: the core parser in client role must accept them all
// (with permessage-deflate agreed, inflating the server's direction as `server` says).
void check_client_view(std::string_view wire, size_t frame_count, const core::DeflateParams* server) {
  CheckingSink sink;
  core::ProtocolParser<core::Role::Client, CheckingSink> parser(sink, {.max_message = 0});
  std::optional<core::MessageInflater> inflater;
  std::vector<uint8_t> window(1000);
  if (server) {
    inflater.emplace(*server, core::StreamMemory{});
    parser.set_inflater(&*inflater, window);
    sink.set_inflate_window(window.data(), window.size());
  }
  std::vector<uint8_t> bytes(wire.begin(), wire.end());
  sink.set_feed_buffer(bytes.data(), bytes.size());
  parser.feed(bytes);
  const Outcome seen = sink.finish();
  FUZZ_CHECK(!sink.failed(), "the core parser in client role rejects the server's output (close {}) after {} events",
             seen.events.back().code, seen.events.size() - 1);
  FUZZ_CHECK(seen.events.size() == frame_count && seen.open_message.empty(),
             "client role sees {} events for {} server frames", seen.events.size(), frame_count);
}

template <class W>
class Harness {
 public:
  explicit Harness(uint8_t flags) : budget_(kBudgetChoices[flags >> 6]) {
    options_.allocator = (flags & 1) ? variants::Allocator::Standard : variants::Allocator::Variant;
    limits_.protocol.max_message = kMaxMessageChoices[(flags >> 4) & 3];
    limits_.deflate.enabled = true;  // only a raw request can offer it: the others stay plain
    plan_ = Variant::make_plan(options_);
    session_ = std::make_unique<variants::Session<Pipeline, variants::EchoApp>>(*plan_, writer_, app_, limits_, &stats_);
  }

  const variants::SessionLimits& limits() const { return limits_; }
  W& writer() { return writer_; }
  variants::Session<typename Variant::Pipeline, variants::EchoApp>& session() { return *session_; }

  // One socket read: the bytes are valid until the flush that ends the event, then the buffer is gone.
  Next read(std::span<const uint8_t> bytes) {
    auto before_flush = [&] {
      if constexpr (std::is_same_v<W, variants::ThrottledWriter>) writer_.set_budget(budget_);
    };
    auto after_flush = [&](variants::WriteOutcome out) {
      FUZZ_CHECK(out != variants::WriteOutcome::Failed, "flush failed on an in-memory writer");
      if (out == variants::WriteOutcome::Flushed) {
        FUZZ_CHECK(session_->unsent_bytes() == 0, "flush said Flushed with {} bytes unsent", session_->unsent_bytes());
      }
    };
    return testing::read_as_socket(*session_, *plan_, bytes, before_flush, after_flush);
  }

  // The peer starts reading: everything queued must come out.
  void drain() {
    if constexpr (std::is_same_v<W, variants::ThrottledWriter>) writer_.set_budget(SIZE_MAX);
    const variants::WriteOutcome out = session_->flush();
    FUZZ_CHECK(out == variants::WriteOutcome::Flushed, "drain flush returned {}", static_cast<int>(out));
    FUZZ_CHECK(session_->unsent_bytes() == 0, "{} bytes still unsent after the peer read everything",
               session_->unsent_bytes());
    plan_->after_iteration();
  }

 private:
  using Pipeline = typename Variant::Pipeline;
  size_t budget_;
  variants::ServerOptions options_;
  variants::SessionLimits limits_;
  std::unique_ptr<typename Pipeline::Plan> plan_;
  W writer_;
  variants::EchoApp app_;
  variants::StatsSource stats_ = [] { return std::string(kStatsBody); };
  // Declared last: destroyed first, before the plan whose memory it uses.
  std::unique_ptr<variants::Session<Pipeline, variants::EchoApp>> session_;
};

template <class W>
void fuzz_session(const FuzzPlan& plan) {
  const bool raw = plan.flags & 4;
  const std::string_view prefix = raw ? std::string_view() : kUpgradeRequest;
  std::string stream(prefix);
  stream.append(reinterpret_cast<const char*>(plan.body.data()), plan.body.size());

  // Reads over the stream: with bit 3 (or raw) the planned cuts anywhere in it; else the request
  // as its own read and the body's cuts behind it. Empty reads are dropped (0 bytes is EOF).
  std::vector<size_t> cuts;
  if (raw || (plan.flags & 8)) {
    for (uint16_t c : plan.raw_cuts) cuts.push_back(c % (stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
  } else {
    cuts.push_back(prefix.size());
    for (size_t c : plan.cuts) cuts.push_back(prefix.size() + c);
  }
  cuts.push_back(stream.size());

  Harness<W> h(plan.flags);
  const auto* bytes = reinterpret_cast<const uint8_t*>(stream.data());
  size_t from = 0;
  bool told_close = false;
  for (size_t to : cuts) {
    if (to <= from) continue;
    const Next next = h.read({bytes + from, to - from});
    FUZZ_CHECK(!told_close || next == Next::Close, "Next::Continue after Next::Close (read ending at byte {})", to);
    told_close = next == Next::Close;
    from = to;
  }
  h.drain();
  const SessionPhase phase = h.session().phase();
  FUZZ_CHECK(told_close == (phase == SessionPhase::Closing), "last read returned {} in phase {}",
             told_close ? "Close" : "Continue", static_cast<int>(phase));

  const std::string& out = h.writer().out;
  core::HandshakeParser hp(h.limits().handshake);
  const core::HandshakeStatus status = hp.feed(stream);
  if (status == core::HandshakeStatus::Incomplete) {
    FUZZ_CHECK(out.empty() && phase == SessionPhase::Handshaking,
               "incomplete request of {} bytes answered with {} bytes, phase {}", stream.size(), out.size(),
               static_cast<int>(phase));
    return;
  }
  const core::HandshakeRequest& req = hp.request();
  if (status != core::HandshakeStatus::Accepted) {
    FUZZ_CHECK(phase == SessionPhase::Closing, "handshake status {} but session phase {}", static_cast<int>(status),
               static_cast<int>(phase));
    if (status == core::HandshakeStatus::NotWebSocket && req.target == "/stats") {
      const std::string head = fmt::format("Content-Length: {}\r\n", kStatsBody.size());
      FUZZ_CHECK(out.starts_with("HTTP/1.1 200 ") && out.ends_with(std::string("\r\n\r\n").append(kStatsBody)) &&
                     out.find(head) != std::string::npos,
                 "GET /stats answered with {} bytes: '{}'", out.size(), out.substr(0, 60));
      return;
    }
    char resp[512];
    const size_t n = core::write_handshake_response(status, req, resp, sizeof resp);
    FUZZ_CHECK(out == std::string_view(resp, n), "handshake status {} answered with {} bytes, expected {}",
               static_cast<int>(status), out.size(), n);
    return;
  }

  core::DeflateAgreement agreed;
  const bool deflate = core::choose_deflate_offer(req.extension_list(), h.limits().deflate, agreed) ==
                       core::OfferChoice::Accepted;
  char ext[core::kMaxDeflateResponse];
  const size_t ext_n = deflate ? core::write_deflate_response(agreed, ext, sizeof ext) : 0;
  char resp[512];
  const size_t n = core::write_handshake_response(status, req, resp, sizeof resp, {ext, ext_n});
  FUZZ_CHECK(out.size() >= n && std::string_view(out).substr(0, n) == std::string_view(resp, n),
             "accepted upgrade not answered with the exact 101 response ({} bytes out, deflate {})", out.size(), deflate);
  const std::string_view wire = std::string_view(out).substr(n);
  std::optional<RefInflater> server_inflater;
  if (deflate) server_inflater.emplace(RefDeflate{true, agreed.server.window_bits, !agreed.server.no_context_takeover});
  const std::vector<Frame> frames = walk_server_frames(wire, server_inflater ? &*server_inflater : nullptr);
  check_client_view(wire, frames.size(), deflate ? &agreed.server : nullptr);
  const auto client = std::span<const uint8_t>(bytes + req.header_bytes, stream.size() - req.header_bytes);
  const RefDeflate client_deflate{deflate, agreed.client.window_bits, !agreed.client.no_context_takeover};
  const Expected want = model_replies(reference_parse(client, true, h.limits().protocol.max_message, client_deflate));
  check_frames(frames, want, phase);
}

}  // namespace
}  // namespace wsalloc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wsalloc;
  const fuzz::FuzzPlan plan(data, size);
  if (plan.flags & 2) {
    fuzz::fuzz_session<variants::ThrottledWriter>(plan);
  } else {
    fuzz::fuzz_session<variants::StringWriter>(plan);
  }
  return 0;
}
