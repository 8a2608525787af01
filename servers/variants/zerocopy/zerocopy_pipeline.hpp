#pragma once
// zerocopy/zerocopy_pipeline.hpp: the zerocopy variant's own pipeline.
//
// A message that arrives whole in one read is handed to the handler as a view into the receive
// buffer, where the parser unmasked it in place. Replies are framed straight into the loop's cork
// (header copied, small payload copied, large in-place payload referenced) and leave with one
// writev per event. Only a message that arrives in pieces (fragments, or a frame split across
// reads) is copied, into a per-connection buffer that keeps its capacity. Steady state: no heap
// allocation at all.
// permessage-deflate (when agreed): the parser inflates into the loop's inflate window, and a
// message that inflates to at most its 64 KiB reaches the handler from there, uncopied; replies
// are deflated straight into the cork when their bound fits it, else into the loop's deflate
// scratch, referenced and flushed at once. zlib's state comes from the loop's size-class pool.
//
// What the cork may reference past send() (Cork::reference), until the flush that ends the event:
// only the event's input, the span the session was handed by on_bytes() (begin_event() records it)
// -- the poller's receive buffer, lent to this connection until that flush: the transport reads,
// calls on_bytes(), then flush(), and no other read lands in the buffer in between. Nothing else
// lives that long for sure: the assembled buffer is reused by the next message, the session's
// copy of a request split across reads is freed inside on_bytes() (issue 13: frames behind such a
// request were once fed from that copy and echoed from freed memory), a handler's payload may be a
// temporary, an executor's completion owns its bytes only during the call. A payload anywhere else
// is written out (or copied into the backlog) before send() returns. flush() forgets the input,
// so a send outside an event (send_later, server-initiated close) never references anything.
#include <span>
#include <string>

#include "core/frame.hpp"
#include "memory/size_class_pool.hpp"
#include "variants/backlog.hpp"
#include "variants/connection_deflate.hpp"
#include "variants/containers.hpp"
#include "variants/cork.hpp"
#include "variants/flush.hpp"
#include "variants/pipeline.hpp"
#include "variants/replier.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

// Per poller thread: the cork, and where a connection's two buffers (assembled messages, backlog)
// come from: a size-class pool (recycled when connections close), or the heap with --allocator std.
class ZeroCopyLoop {
 public:
  explicit ZeroCopyLoop(bool pooled);
  ~ZeroCopyLoop();

  Cork cork;
  // Whose replies the cork holds. A connection served inside another's event (a /broadcast
  // member closed by the publisher's fan-out) must neither add to nor flush that connection's
  // replies: they would reach the wrong socket.
  const void* cork_owner = nullptr;
  std::pmr::memory_resource* connection() noexcept;
  void after_iteration() noexcept {}
  // Periodic (the worker's sweep): the pool's idle chunks beyond a budget give their pages back.
  void trim_idle() noexcept;
  std::string stats_json() const;

  // permessage-deflate: the thread's inflate window, and where a reply too large for the cork is
  // compressed (capacity kept, from connection(); its bytes live until the next flush).
  std::span<uint8_t> inflate_window() { return inflate_window_.get(); }
  Bytes& deflate_scratch() noexcept { return deflate_scratch_; }

 private:
  std::unique_ptr<memory::SizeClassPool> pool_;
  InflateWindow inflate_window_;
  Bytes deflate_scratch_{connection()};
};

class ZeroCopyPipeline final : public Replier, public core::InflaterSource {
 public:
  using Plan = ZeroCopyLoop;
  // Payloads up to this size are copied into the cork: a copy is cheaper than an extra iovec.
  static constexpr size_t kReferenceFrom = 2048;

  ZeroCopyPipeline(ZeroCopyLoop& loop, Writer& writer)
      : loop_(loop), writer_(writer), assembled_(loop.connection()), backlog_(loop.connection()) {}
  ~ZeroCopyPipeline() {
    delete_connection_deflate(loop_.connection(), deflate_);
    // Every event ends with flush(), which empties the cork; this only guards the invariant, so a
    // pipeline later built at this address can never inherit stale replies.
    if (loop_.cork_owner == this) {
      loop_.cork.clear();
      loop_.cork_owner = nullptr;
    }
  }
  ZeroCopyPipeline(const ZeroCopyPipeline&) = delete;
  ZeroCopyPipeline& operator=(const ZeroCopyPipeline&) = delete;

  // The session's read for this event (see the file comment); valid until flush().
  void begin_event(std::span<const uint8_t> input) noexcept { input_ = input; }

  template <class App>
  void on_data(App& app, core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin && end) {  // the fast path: the whole message is where the parser found it
      app.on_message(*this, op, chunk);
      return;
    }
    if (begin) {
      assembled_.clear();
      op_ = op;
    }
    grow_pow2(assembled_, chunk.size());
    assembled_.insert(assembled_.end(), chunk.begin(), chunk.end());
    if (end) app.on_message(*this, op_, std::span<const uint8_t>(assembled_));
  }

  void send(core::Opcode op, std::span<const uint8_t> payload) override;
  void send_raw(std::span<const uint8_t> bytes);

  WriteOutcome flush();
  // Writes already-framed bytes now, outside this connection's event (fan-out); never the cork.
  WriteOutcome send_now(std::span<const iovec> frame) { return write_or_spill(writer_, backlog_, frame); }
  size_t unsent_bytes() const noexcept { return backlog_.size(); }
  // Periodic (the worker's sweep): gives back backlog capacity the connection no longer needs.
  size_t trim_idle() { return backlog_.trim_if_idle(); }

  // permessage-deflate was agreed (see PmrPipeline::agree_deflate).
  void agree_deflate(const core::DeflateAgreement& agreed, const core::DeflateSettings& settings) noexcept {
    terms_ = make_terms(agreed, settings);
  }
  core::MessageInflater* get_inflater() noexcept override;
  std::span<uint8_t> inflate_window() { return loop_.inflate_window(); }
  const ConnectionDeflate* deflate() const noexcept { return deflate_; }

 private:
  [[gnu::noinline]] void send_compressed(core::Opcode op, std::span<const uint8_t> payload);
  ConnectionDeflate* deflate_state() noexcept;
  bool compress_into_cork(core::Opcode op, std::span<const uint8_t> payload);
  bool compress_into_scratch(core::Opcode op, std::span<const uint8_t> payload);
  [[gnu::noinline]] void flush_early();
  // The backlog, then the cork; the event goes on (flush() also ends it).
  WriteOutcome write_cork();
  // The cork holds another connection's replies: this one writes (or queues) its own directly.
  bool cork_is_foreign() const noexcept { return !loop_.cork.empty() && loop_.cork_owner != this; }
  [[gnu::noinline]] void send_direct(std::span<const iovec> frame);

  ZeroCopyLoop& loop_;
  Writer& writer_;
  Bytes assembled_;
  Backlog backlog_;
  ConnectionDeflate* deflate_ = nullptr;  // on the loop's pool, from the first compressed message
  DeflateTerms terms_;                    // agreed: compress replies
  // True when `bytes` lies in the event's input, which outlives the cork's next flush.
  bool outlives_flush(std::span<const uint8_t> bytes) const noexcept {
    return !input_.empty() && bytes.data() >= input_.data() &&
           bytes.data() + bytes.size() <= input_.data() + input_.size();
  }

  std::span<const uint8_t> input_;  // this event's read (begin_event); empty outside an event
  core::Opcode op_ = core::Opcode::Binary;
  bool failed_ = false;
};

static_assert(MessagePipeline<ZeroCopyPipeline>, "ZeroCopyPipeline must meet the pipeline contract (pipeline.hpp)");

}  // namespace wsalloc::variants
