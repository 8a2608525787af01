#include "net/send_slab.hpp"

namespace wsalloc::net {

SendSlab::SendSlab() {
  chunks_.reserve(64);
  free_.reserve(64);
  for (int i = 0; i < 4; ++i) chunks_.push_back(Chunk{IdlePages(kChunkBytes), 0});
  for (uint32_t i = 1; i < chunks_.size(); ++i) free_.push_back(i);
}

SendSlab::Piece SendSlab::append(size_t n) {
  if (used_ == kChunkBytes) {
    if (chunks_[current_].refs == 0) {
      used_ = 0;
    } else {
      current_ = fresh_chunk();
      used_ = 0;
    }
  }
  const size_t len = n < kChunkBytes - used_ ? n : kChunkBytes - used_;
  Piece p{chunks_[current_].bytes.data() + used_, len, current_};
  used_ += len;
  return p;
}

uint32_t SendSlab::fresh_chunk() {
  if (!free_.empty()) {
    uint32_t c = free_.back();
    free_.pop_back();
    chunks_[c].bytes.touch();
    return c;
  }
  chunks_.push_back(Chunk{IdlePages(kChunkBytes), 0});
  free_.reserve(chunks_.size());  // unref() (noexcept) pushes without allocating
  ++grown_;
  return static_cast<uint32_t>(chunks_.size() - 1);
}

void SendSlab::unref(uint32_t chunk) noexcept {
  if (--chunks_[chunk].refs != 0) return;
  if (chunk == current_) {
    used_ = 0;  // rewinds in place: the bytes of the next sends stay in one warm chunk
  } else {
    chunks_[chunk].bytes.touch();  // idle from now
    free_.push_back(chunk);  // capacity reserved for every chunk ever made: never allocates
  }
}

void SendSlab::trim_idle(IdlePages::Clock::time_point now, IdlePages::Clock::duration idle) noexcept {
  for (uint32_t c : free_) chunks_[c].bytes.trim_if_idle(now, idle);
}

size_t SendSlab::resident_chunks() const noexcept {
  size_t n = 0;
  for (const Chunk& c : chunks_) n += c.bytes.resident();
  return n;
}

}  // namespace wsalloc::net
