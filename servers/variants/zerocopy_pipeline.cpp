#include "variants/zerocopy_pipeline.hpp"

#include "memory/stats_json.hpp"
#include "variants/flush.hpp"

namespace wsalloc::variants {

ZeroCopyLoop::ZeroCopyLoop(bool pooled) {
  // Classes up to 32 MiB: a 16 MiB fragmented message (the default max-message) doubles into it.
  if (pooled) pool_ = std::make_unique<memory::SizeClassPool>(
                  "connection", memory::SizeClassPoolOptions{.max_class_bytes = size_t{32} << 20});
}

ZeroCopyLoop::~ZeroCopyLoop() = default;

std::pmr::memory_resource* ZeroCopyLoop::connection() noexcept {
  return pool_ ? static_cast<std::pmr::memory_resource*>(pool_.get()) : std::pmr::new_delete_resource();
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
  Cork& cork = loop_.cork;
  if (cork_is_foreign()) [[unlikely]] {
    uint8_t header[core::kMaxFrameHeader];
    const size_t n = core::write_frame_header(header, op, true, payload.size());
    const iovec frame[2] = {{header, n}, {const_cast<uint8_t*>(payload.data()), payload.size()}};
    return send_direct(frame);
  }
  loop_.cork_owner = this;
  const size_t header = core::frame_header_size(payload.size(), false);
  const bool reference = payload.size() >= kReferenceFrom || payload.size() > Cork::kBytes - header;
  const size_t copy_bytes = header + (reference ? 0 : payload.size());
  if (cork.room() < copy_bytes || !cork.has_segments_for(2)) flush_early();

  core::write_frame_header(cork.reserve(header), op, true, payload.size());
  if (!reference) {
    cork.copy(payload.data(), payload.size());
    return;
  }
  cork.reference(payload.data(), payload.size());
  // Only the receive buffer outlives this call until the event's flush; anything else (the
  // assembled buffer, a handler's temporary) goes out now.
  const bool stable = !in_place_.empty() && payload.data() >= in_place_.data() &&
                      payload.data() + payload.size() <= in_place_.data() + in_place_.size();
  if (!stable) flush_early();
}

void ZeroCopyPipeline::send_raw(std::span<const uint8_t> bytes) {
  Cork& cork = loop_.cork;
  if (cork_is_foreign()) [[unlikely]] {
    const iovec raw[1] = {{const_cast<uint8_t*>(bytes.data()), bytes.size()}};
    return send_direct(raw);
  }
  loop_.cork_owner = this;
  if (cork.room() < bytes.size() || !cork.has_segments_for(1)) flush_early();
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
  if (flush() == WriteOutcome::Failed) failed_ = true;
}

WriteOutcome ZeroCopyPipeline::flush() {
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
