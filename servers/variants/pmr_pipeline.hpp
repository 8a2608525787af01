#pragma once
// pmr_pipeline.hpp: the message pipeline shared by the malloc, arena and pool variants.
//
// Per message it does what straightforward code does, on std::pmr containers:
//   chunk -> frame vector (per connection, capacity kept)
//         -> message string (message lifetime)
//         -> handler -> response vector: header + payload (message lifetime)
//         -> send-queue node (send lifetime: until the end of this event's flush)
// The variant's MemoryPlan decides where each of those lives; the code is the same for all three,
// so differences in the measurements come from memory alone.
// permessage-deflate (when agreed): the parser inflates into the plan's inflate window, so chunks
// arrive here as for any message; replies are compressed into the response vector. zlib's state
// lives on the connection resource (context takeover) or the message resource (without it).
#include <bit>
#include <span>

#include "core/frame.hpp"
#include "variants/backlog.hpp"
#include "variants/connection_deflate.hpp"
#include "variants/containers.hpp"
#include "variants/flush.hpp"
#include "variants/memory_plan.hpp"
#include "variants/pipeline.hpp"
#include "variants/replier.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

class PmrPipeline final : public Replier, public core::InflaterSource {
 public:
  using Plan = MemoryPlan;

  PmrPipeline(MemoryPlan& plan, Writer& writer);
  ~PmrPipeline();
  PmrPipeline(const PmrPipeline&) = delete;
  PmrPipeline& operator=(const PmrPipeline&) = delete;

  // Every reply is copied into a send-queue node: nothing outlives an event by reference.
  void begin_event(std::span<const uint8_t>) noexcept {}

  // Called by the session for every data chunk the parser delivers (already unmasked, validated).
  template <class App>
  void on_data(App& app, core::Opcode op, std::span<uint8_t> chunk, bool begin, bool end) {
    if (begin) {
      frame_.clear();
      op_ = op;
    }
    grow_pow2(frame_, chunk.size());
    frame_.insert(frame_.end(), chunk.begin(), chunk.end());
    if (!end) return;
    {
      String message(frame_.begin(), frame_.end(), plan_.message());
      app.on_message(*this, op_, std::span<const uint8_t>(
                                     reinterpret_cast<const uint8_t*>(message.data()), message.size()));
    }  // message and response die here, before the message lifetime ends
    plan_.after_message();
  }

  void send(core::Opcode op, std::span<const uint8_t> payload) override;
  // Bytes that are already a complete wire image (the HTTP handshake response).
  void send_raw(std::span<const uint8_t> bytes);

  WriteOutcome flush();
  // Writes already-framed bytes now, outside this connection's event (fan-out).
  WriteOutcome send_now(std::span<const iovec> frame) { return write_or_spill(writer_, backlog_, frame); }
  size_t unsent_bytes() const noexcept { return backlog_.size() + queued_; }
  // Periodic (the worker's sweep): gives back backlog capacity the connection no longer needs,
  // where its resource takes memory back singly (not an area: freed there only at its reset).
  size_t trim_idle() { return plan_.gives_back_connection_memory() ? backlog_.trim_if_idle() : 0; }

  // permessage-deflate was agreed: from now on data replies are compressed, and the parser gets
  // its decompressor from get_inflater(). Allocates nothing (connection_deflate.hpp).
  void agree_deflate(const core::DeflateAgreement& agreed, const core::DeflateSettings& settings) noexcept {
    terms_ = make_terms(agreed, settings);
  }
  core::MessageInflater* get_inflater() noexcept override;
  std::span<uint8_t> inflate_window() { return plan_.inflate_window(); }
  const ConnectionDeflate* deflate() const noexcept { return deflate_; }

 private:
  [[gnu::noinline]] void send_compressed(core::Opcode op, std::span<const uint8_t> payload);
  ConnectionDeflate* deflate_state() noexcept;
  // A send-queue node: the replies of one event leave together in flush().
  void enqueue(std::span<const uint8_t> bytes);

  struct Node {  // a plain struct: pmr's uses-allocator construction must not re-home the bytes
    Bytes bytes;
  };
  // Releases the connection resource after every member below has been destroyed.
  struct ConnectionResource {
    MemoryPlan& plan;
    std::pmr::memory_resource* r;
    ~ConnectionResource() { plan.release_connection(r); }
  };

  MemoryPlan& plan_;
  Writer& writer_;
  ConnectionResource conn_;
  Bytes frame_;
  Vector<Node> nodes_;
  Backlog backlog_;
  ConnectionDeflate* deflate_ = nullptr;  // on conn_.r, from the first compressed message
  DeflateTerms terms_;                    // agreed: compress replies
  size_t queued_ = 0;
  core::Opcode op_ = core::Opcode::Binary;
  bool failed_ = false;  // a direct write (send_raw) found the connection gone
};

static_assert(MessagePipeline<PmrPipeline>, "PmrPipeline must meet the pipeline contract (pipeline.hpp)");

}  // namespace wsalloc::variants
