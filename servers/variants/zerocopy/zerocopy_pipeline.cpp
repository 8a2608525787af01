#include "variants/zerocopy/zerocopy_pipeline.hpp"

#include <bit>
#include <cstring>
#include <utility>

#include "memory/stats_json.hpp"
#include "variants/flush.hpp"
#include "variants/gate_slowdown.hpp"
#include "variants/memory_plan.hpp"

namespace wsalloc::variants {

// Classes up to 32 MiB: a 16 MiB fragmented message (the default max-message) doubles into it.
// Made in the initialiser list: deflate_scratch_ takes its resource from connection().
ZeroCopyLoop::ZeroCopyLoop(bool pooled)
    : pool_(pooled ? std::make_unique<memory::SizeClassPool>(
                         "connection", memory::SizeClassPoolOptions{.max_class_bytes = size_t{32} << 20})
                   : nullptr) {}

ZeroCopyLoop::~ZeroCopyLoop() = default;

std::pmr::memory_resource* ZeroCopyLoop::connection() noexcept {
  return pool_ ? static_cast<std::pmr::memory_resource*>(pool_.get()) : std::pmr::new_delete_resource();
}

void ZeroCopyLoop::trim_idle() noexcept {
  if (pool_) pool_->release_idle_pages(kIdlePoolKeepBytes);
}

std::string ZeroCopyLoop::stats_json() const {
  nlohmann::json j;
  j["plan"] = "zerocopy";
  j["cork_bytes"] = Cork::kBytes;
  if (pool_) {
    j["connection"] = memory::stats_json(*pool_);
  } else {
    j["connection"] = "new_delete";
  }
  return j.dump();
}

void ZeroCopyPipeline::send(core::Opcode op, std::span<const uint8_t> payload) {
#ifdef WSALLOC_GATE_INJECT_ALLOC_ZEROCOPY
  { void* volatile p = ::operator new(1); ::operator delete(p); }  // gate test: a deliberate regression
#endif
#ifdef WSALLOC_GATE_INJECT_SLOWDOWN_ZEROCOPY
  injected_slowdown();  // gate test: a deliberate slowdown
#endif
  if (terms_.agreed && compressible(op)) [[unlikely]] return send_compressed(op, payload);
  Cork& cork = loop_.cork;
  if (cork_is_foreign()) [[unlikely]] {
    uint8_t header[core::kMaxFrameHeader];
    const size_t n = core::write_frame_header(header, op, true, payload.size());
    const iovec frame[2] = {{header, n}, {const_cast<uint8_t*>(payload.data()), payload.size()}};
    return send_direct(frame);
  }
  const size_t header = core::frame_header_size(payload.size(), false);
  const bool reference = payload.size() >= kReferenceFrom || payload.size() > Cork::kBytes - header;
  const size_t copy_bytes = header + (reference ? 0 : payload.size());
  if (cork.room() < copy_bytes || !cork.has_segments_for(2)) flush_early();
  // Claimed after the early flush, which gives the cork up: claimed before, this reply would sit
  // in a cork nobody owns, never flushed (and every later reply would bypass it).
  loop_.cork_owner = this;

  core::write_frame_header(cork.reserve(header), op, true, payload.size());
  if (!reference) {
    cork.copy(payload.data(), payload.size());
    return;
  }
  cork.reference(payload.data(), payload.size());
  // Only the event's input outlives this call until the flush (file comment of the header);
  // anything else (the assembled buffer, a handler's temporary) goes out now.
  if (!outlives_flush(payload)) flush_early();
}

ConnectionDeflate* ZeroCopyPipeline::deflate_state() noexcept {
  // Both lifetimes on the pool: a message's stream goes back to its class's free list at once.
  std::pmr::memory_resource* pool = loop_.connection();
  if (!deflate_) deflate_ = make_connection_deflate(pool, terms_, {.connection = pool, .message = pool});
  return deflate_;
}

core::MessageInflater* ZeroCopyPipeline::get_inflater() noexcept {
  ConnectionDeflate* d = deflate_state();
  return d ? &d->inflater : nullptr;
}

// Compressed replies: straight into the cork when the bound fits it, else into the loop's scratch.
// If zlib has no memory, the message goes uncompressed (RFC 7692 allows any message to).
void ZeroCopyPipeline::send_compressed(core::Opcode op, std::span<const uint8_t> payload) {
  const size_t bound = core::MessageDeflater::bound(payload.size());
  const bool fits_cork = core::frame_header_size(bound, false) + bound <= Cork::kBytes;
  const bool sent = deflate_state() != nullptr && (fits_cork && !cork_is_foreign() ? compress_into_cork(op, payload)
                                                                                 : compress_into_scratch(op, payload));
  if (sent) [[likely]] return;
  terms_.agreed = false;
  send(op, payload);
  terms_.agreed = true;
}

// Reserves header + bound at the cork's tail, deflates behind the header room, then moves the
// payload down if its real header is shorter than the bound's, and gives back what was not used.
bool ZeroCopyPipeline::compress_into_cork(core::Opcode op, std::span<const uint8_t> payload) {
  Cork& cork = loop_.cork;
  const size_t bound = core::MessageDeflater::bound(payload.size());
  const size_t room = core::frame_header_size(bound, false);
  if (cork.room() < room + bound || !cork.has_segments_for(1)) flush_early();
  loop_.cork_owner = this;  // after the early flush, which gives the cork up (see send())
  uint8_t* base = cork.reserve(room + bound);
  size_t produced = 0;
  if (deflate_->deflater.compress(payload, {base + room, bound}, produced) != core::DeflateStatus::Ok) {
    cork.unreserve(room + bound);
    return false;
  }
  const size_t header = core::frame_header_size(produced, false);
  if (header < room) std::memmove(base + header, base + room, produced);
  write_compressed_header(base + header, op, produced);
  cork.unreserve(room + bound - header - produced);
  return true;
}

// Too large for the cork (or the cork holds another connection's replies): compress into the
// loop's scratch, header in front, and write it now; the socket's leftovers go to the backlog.
bool ZeroCopyPipeline::compress_into_scratch(core::Opcode op, std::span<const uint8_t> payload) {
  constexpr size_t kRoom = 10;  // the longest unmasked header
  Bytes& scratch = loop_.deflate_scratch();
  const size_t need = kRoom + core::MessageDeflater::bound(payload.size());
  if (scratch.size() < need) {  // grown to a power of two once, then reused as is (no zero fill)
    scratch.reserve(std::bit_ceil(need));
    scratch.resize(scratch.capacity());
  }
  size_t produced = 0;
  if (deflate_->deflater.compress(payload, {scratch.data() + kRoom, need - kRoom}, produced) !=
      core::DeflateStatus::Ok) {
    return false;
  }
  uint8_t* start = write_compressed_header(scratch.data() + kRoom, op, produced);
  const iovec frame[1] = {{start, static_cast<size_t>(scratch.data() + kRoom + produced - start)}};
  if (cork_is_foreign()) {
    send_direct(frame);
    return true;
  }
  Cork& cork = loop_.cork;
  loop_.cork_owner = this;
  if (!cork.has_segments_for(1)) flush_early();
  cork.reference(frame[0].iov_base, frame[0].iov_len);
  flush_early();  // the scratch is the next message's too: out (or into the backlog) now
  return true;
}

void ZeroCopyPipeline::send_raw(std::span<const uint8_t> bytes) {
  Cork& cork = loop_.cork;
  if (cork_is_foreign()) [[unlikely]] {
    const iovec raw[1] = {{const_cast<uint8_t*>(bytes.data()), bytes.size()}};
    return send_direct(raw);
  }
  if (cork.room() < bytes.size() || !cork.has_segments_for(1)) flush_early();
  loop_.cork_owner = this;  // after the early flush, as in send()
  if (bytes.size() > cork.room()) {  // larger than the whole cork: send it from where it is, now
    cork.reference(bytes.data(), bytes.size());
    flush_early();
    return;
  }
  cork.copy(bytes.data(), bytes.size());
}

void ZeroCopyPipeline::send_direct(std::span<const iovec> frame) {
  if (write_or_spill(writer_, backlog_, frame) == WriteOutcome::Failed) failed_ = true;
}

void ZeroCopyPipeline::flush_early() {
  if (write_cork() == WriteOutcome::Failed) failed_ = true;
}

WriteOutcome ZeroCopyPipeline::flush() {
  const WriteOutcome outcome = write_cork();
  input_ = {};  // the event is over: its read may be overwritten from now on
  return outcome;
}

WriteOutcome ZeroCopyPipeline::write_cork() {
  Cork& cork = loop_.cork;
  if (cork_is_foreign()) [[unlikely]] {  // ours went out directly; only the backlog may be left
    if (failed_) return WriteOutcome::Failed;
    return write_or_spill(writer_, backlog_, {});
  }
  WriteOutcome outcome = write_or_spill(writer_, backlog_, cork.segments());
  cork.clear();
  loop_.cork_owner = nullptr;
  if (failed_) return WriteOutcome::Failed;
  return outcome;
}

}  // namespace wsalloc::variants
