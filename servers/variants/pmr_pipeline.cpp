#include "variants/pmr_pipeline.hpp"

#include <sys/uio.h>

#include <cstring>
#include <utility>

#include "variants/flush.hpp"
#include "variants/gate_slowdown.hpp"

namespace wsalloc::variants {

PmrPipeline::PmrPipeline(MemoryPlan& plan, Writer& writer)
    : plan_(plan),
      writer_(writer),
      conn_{plan, plan.acquire_connection()},
      frame_(conn_.r),
      nodes_(conn_.r),
      backlog_(conn_.r) {}

PmrPipeline::~PmrPipeline() { delete_connection_deflate(conn_.r, deflate_); }

ConnectionDeflate* PmrPipeline::deflate_state() noexcept {
  if (!deflate_) deflate_ = make_connection_deflate(conn_.r, terms_, {.connection = conn_.r, .message = plan_.current_message()});
  return deflate_;
}

core::MessageInflater* PmrPipeline::get_inflater() noexcept {
  ConnectionDeflate* d = deflate_state();
  return d ? &d->inflater : nullptr;
}

void PmrPipeline::send(core::Opcode op, std::span<const uint8_t> payload) {
#if defined(WSALLOC_GATE_INJECT_ALLOC_MALLOC) || defined(WSALLOC_GATE_INJECT_ALLOC_ARENA) || \
    defined(WSALLOC_GATE_INJECT_ALLOC_POOL)
  { void* volatile p = ::operator new(1); ::operator delete(p); }  // gate test: a deliberate regression
#endif
#if defined(WSALLOC_GATE_INJECT_SLOWDOWN_MALLOC) || defined(WSALLOC_GATE_INJECT_SLOWDOWN_ARENA) || \
    defined(WSALLOC_GATE_INJECT_SLOWDOWN_POOL)
  injected_slowdown();  // gate test: a deliberate slowdown
#endif
  if (terms_.agreed && compressible(op)) [[unlikely]] return send_compressed(op, payload);
  Bytes response(plan_.message());
  response.resize(core::frame_header_size(payload.size(), false) + payload.size());
  size_t h = core::write_frame_header(response.data(), op, true, payload.size());
  if (!payload.empty()) std::memcpy(response.data() + h, payload.data(), payload.size());
  enqueue(response);
}

// The response vector holds the longest header, then the compressed payload; the header is written
// to end where the payload starts, so the frame is one contiguous span.
void PmrPipeline::send_compressed(core::Opcode op, std::span<const uint8_t> payload) {
  constexpr size_t kRoom = 10;  // the longest unmasked header
  ConnectionDeflate* d = deflate_state();
  Bytes response(plan_.message());
  response.resize(kRoom + core::MessageDeflater::bound(payload.size()));
  size_t produced = 0;
  if (!d || d->deflater.compress(payload, {response.data() + kRoom, response.size() - kRoom}, produced) !=
                core::DeflateStatus::Ok) [[unlikely]] {
    // No memory for zlib: RFC 7692 lets any message go uncompressed (RSV1 clear).
    terms_.agreed = false;
    send(op, payload);
    terms_.agreed = true;
    return;
  }
  uint8_t* start = write_compressed_header(response.data() + kRoom, op, produced);
  enqueue({start, static_cast<size_t>(response.data() + kRoom + produced - start)});
}

void PmrPipeline::send_raw(std::span<const uint8_t> bytes) {
  if (nodes_.empty()) {
    // Nothing queued ahead (the handshake response, /stats): straight to the writer. An idle
    // connection then never touches its connection resource (for arena: never takes a block).
    const iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
    if (write_or_spill(writer_, backlog_, {&iov, 1}) == WriteOutcome::Failed) failed_ = true;
    return;
  }
  enqueue(bytes);
}

void PmrPipeline::enqueue(std::span<const uint8_t> bytes) {
  nodes_.push_back(Node{Bytes(bytes.begin(), bytes.end(), plan_.send())});
  queued_ += bytes.size();
}

WriteOutcome PmrPipeline::flush() {
  Writer& w = writer_;
  // Small fixed batch on the stack; a long queue is written in several calls.
  constexpr size_t kBatch = 64;
  iovec iov[kBatch];
  WriteOutcome outcome = nodes_.empty() && !backlog_.empty() ? write_or_spill(w, backlog_, {})
                                                             : WriteOutcome::Flushed;
  for (size_t i = 0; i < nodes_.size() && outcome != WriteOutcome::Failed;) {
    size_t n = 0;
    for (; n < kBatch && i < nodes_.size(); ++n, ++i)
      iov[n] = {nodes_[i].bytes.data(), nodes_[i].bytes.size()};
    // After a Blocked batch, later batches go straight into the backlog (no writer call): the
    // socket just said it is full.
    outcome = outcome == WriteOutcome::Blocked ? (spill_into(backlog_, std::span(iov, n)), WriteOutcome::Blocked)
                                               : write_or_spill(w, backlog_, std::span(iov, n));
  }
  nodes_.clear();
  queued_ = 0;
  return failed_ ? WriteOutcome::Failed : outcome;
}

}  // namespace wsalloc::variants
