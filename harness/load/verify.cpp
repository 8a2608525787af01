#include "load/verify.hpp"

#include <algorithm>
#include <cstring>

namespace wsalloc::load {

void MessageVerifier::begin(Expectation e) noexcept {
  exp_ = e;
  resolved_ = false;
  bad_ = false;
  stash_len_ = 0;
  skipped_ = 0;
  off_ = 0;
  foreign_ = 0;
  if (!e.expecting) {
    // Tagged: another publisher's message is welcome even when none of ours is due.
    head_need_ = head_len_ > kSeqBytes ? head_len_ : 0;
    if (head_need_ == 0) resolve(nullptr, 0);
    return;
  }
  head_need_ = static_cast<uint8_t>(std::min<size_t>(head_len_, cat_->size(cat_->class_of(e.next_seq, stream_offset_))));
  if (head_need_ == 0) resolve(nullptr, 0);
}

void MessageVerifier::set_target(uint64_t seq) noexcept {
  seq_ = seq;
  const uint32_t cls = cat_->class_of(seq, stream_offset_);
  size_ = cat_->size(cls);
  tmpl_ = cat_->bytes(cls).data();
  encode_seq(seq, enc_);
  std::memcpy(enc_ + kSeqBytes, own_tag_, kTagBytes);  // untagged: never compared (head_len_ is 8)
}

// Tagged: a whole head whose tag names another of the publishers makes the message foreign, checked
// against the sequence number and tag it carries. A tag that names no publisher (or ours) is not
// foreign: the message is checked as ours and differs.
bool MessageVerifier::resolve_foreign(const uint8_t* head, size_t n) noexcept {
  if (head_len_ <= kSeqBytes || n < head_len_ || std::memcmp(head + kSeqBytes, own_tag_, kTagBytes) == 0) return false;
  const auto tag = decode_seq(head + kSeqBytes);
  const auto seq = decode_seq(head);
  if (!tag || !seq || *tag < 1 || *tag > cat_->tag().count) return false;
  set_target(*seq);
  std::memcpy(enc_ + kSeqBytes, head + kSeqBytes, kTagBytes);
  foreign_ = static_cast<uint32_t>(*tag);
  return true;
}

void MessageVerifier::resolve(const uint8_t* head, size_t n) noexcept {
  resolved_ = true;
  if (resolve_foreign(head, n)) return;
  if (!exp_.expecting) {
    seq_ = 0;
    size_ = 0;
    bad_ = true;
    return;
  }
  set_target(exp_.next_seq);
  if (n >= kSeqBytes && exp_.ahead > 0 && std::memcmp(head, enc_, kSeqBytes) != 0) [[unlikely]] {
    const auto d = decode_seq(head);
    const uint64_t next = exp_.next_seq % kSeqLimit;
    if (d && *d > next && *d - next <= exp_.ahead) {
      const uint64_t s = exp_.next_seq + (*d - next);
      if (cat_->size(cat_->class_of(s, stream_offset_)) >= kSeqBytes) {
        skipped_ = s - exp_.next_seq;
        set_target(s);
      }
    }
  }
}

void MessageVerifier::compare(const uint8_t* p, size_t n) noexcept {
  if (n == 0) return;
  if (off_ + n > size_) {  // longer than the message it should be
    bad_ = true;
    n = off_ < size_ ? size_ - off_ : 0;
  }
  const size_t head = std::min<size_t>(head_len_, size_);
  size_t i = 0;
  for (; i < n && off_ + i < head; ++i) {
    if (p[i] != enc_[off_ + i]) bad_ = true;
  }
  if (i < n && std::memcmp(p + i, tmpl_ + off_ + i, n - i) != 0) bad_ = true;
  off_ += n;
}

void MessageVerifier::feed(std::span<const uint8_t> chunk) noexcept {
  const uint8_t* p = chunk.data();
  size_t n = chunk.size();
  if (!resolved_) {
    if (stash_len_ == 0 && n >= head_need_) {
      resolve(p, head_need_);  // the usual case: the head is in the first chunk, no copy
    } else {
      const size_t take = std::min<size_t>(head_need_ - stash_len_, n);
      if (take != 0) std::memcpy(stash_ + stash_len_, p, take);  // p may be null when n == 0
      stash_len_ = static_cast<uint8_t>(stash_len_ + take);
      p += take;
      n -= take;
      if (stash_len_ < head_need_) return;
      resolve(stash_, stash_len_);
      compare(stash_, stash_len_);
    }
  }
  compare(p, n);
}

VerifyResult MessageVerifier::end() noexcept {
  if (!resolved_) {  // shorter than its head: check what there is against the expected message
    resolve(stash_, stash_len_);
    compare(stash_, stash_len_);
  }
  if (!exp_.expecting && foreign_ == 0) return {Verdict::Unexpected, 0, 0, 0};
  if (off_ != size_) bad_ = true;
  return {bad_ ? Verdict::Mismatch : Verdict::Match, seq_, skipped_, size_, foreign_};
}

size_t MessageVerifier::bytes_wanted() const noexcept {
  if (!exp_.expecting) return SIZE_MAX;
  if (!resolved_) return head_need_ - stash_len_;
  return size_ > off_ ? size_ - off_ : 0;
}

}  // namespace wsalloc::load
