// MessageVerifier: checks one echoed (or broadcast) message against what was sent, chunk by chunk,
// without buffering it. One per connection; per message: begin(), feed() per chunk, end().
//
// What it decides:
//   Match       every byte equals the template of the resolved sequence number, and the length too.
//   Mismatch    a byte or the length differs.
//   Unexpected  a message arrived while nothing was expected (counted as a mismatch by callers).
// Drops: messages arrive in order, so the expected one is `next_seq`. When the first 8 bytes do not
// carry `next_seq` but decode to a later sequence number that is legitimately in flight
// (next_seq < s <= next_seq + ahead), the messages in between were lost: `skipped` says how many, and
// the message is checked against s. Drop detection needs the expected and the arrived message to be
// >= 8 bytes; below that a lost message shows up as a mismatch instead (still an error).
//
// Several publishers (a tagged catalogue, wsload --broadcast-shard K/N): bytes [8, 16) name the
// message's publisher. A message of another publisher is "foreign": it is checked byte for byte
// against its own sequence number and tag (the templates are otherwise the same), and the result
// says which publisher and which sequence number it carried; its order is the caller's to check,
// since only the caller keeps a next expected number per publisher.
//
// Cost: one 8-byte compare to resolve the sequence number (tagged: one more for the tag), then memcmp against the template; a
// decode only on the slow path. No allocation; chunks are never copied except a message head split
// across reads (<= 8 bytes, stashed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "load/payload.hpp"

namespace wsalloc::load {

enum class Verdict : uint8_t { Match, Mismatch, Unexpected };

struct Expectation {
  uint64_t next_seq = 0;
  uint64_t ahead = 0;      // later sequence numbers already sent (candidates after a drop)
  bool expecting = false;  // false: nothing is in flight, any message is Unexpected
};

struct VerifyResult {
  Verdict verdict;
  uint64_t seq;      // the sequence number the message was checked against
  uint64_t skipped;  // sequence numbers next_seq .. seq-1 that never arrived
  size_t size;       // payload bytes of the message it was checked against
  uint32_t foreign_publisher = 0;  // tagged: another publisher's message (its tag, 1-based); 0 = ours
};

class MessageVerifier {
 public:
  MessageVerifier(const PayloadCatalogue& catalogue, uint32_t stream_offset) noexcept
      : cat_(&catalogue), stream_offset_(stream_offset), head_len_(static_cast<uint8_t>(catalogue.head_bytes())) {
    if (cat_->tag().tagged()) encode_seq(cat_->tag().index, own_tag_);
  }

  // The common case in one call, with no state: `msg` is a whole message and carries next_seq.
  // Returns true with r = Match (or Mismatch when the content differs); false when anything is
  // unusual (another sequence number, another length, nothing expected) and begin/feed/end must
  // decide, which also detects drops.
  bool check_whole(const Expectation& e, std::span<const uint8_t> msg, VerifyResult& r) const noexcept {
    if (!e.expecting) return false;
    const auto t = cat_->bytes(cat_->class_of(e.next_seq, stream_offset_));
    if (msg.size() != t.size()) return false;
    const size_t hn = t.size() < kSeqBytes ? t.size() : kSeqBytes;
    uint8_t enc[kSeqBytes];
    encode_seq(e.next_seq, enc);
    if (hn == kSeqBytes) {  // one 64-bit compare instead of a library call
      uint64_t a, b;
      std::memcpy(&a, msg.data(), kSeqBytes);
      std::memcpy(&b, enc, kSeqBytes);
      if (a != b) return false;
      // Tagged: another publisher's message may carry the same number; it takes the slow path.
      if (head_len_ > kSeqBytes) {
        std::memcpy(&a, msg.data() + kSeqBytes, kTagBytes);
        std::memcpy(&b, own_tag_, kTagBytes);
        if (a != b) return false;
      }
    } else if (hn != 0 && std::memcmp(msg.data(), enc, hn) != 0) {  // an empty message has a null data()
      return false;
    }
    const bool same = t.size() == hn || std::memcmp(msg.data() + hn, t.data() + hn, t.size() - hn) == 0;
    r = {same ? Verdict::Match : Verdict::Mismatch, e.next_seq, 0, t.size()};
    return true;
  }
  // Payload bytes of the message `e` expects (raw mode frames the stream with it).
  size_t expected_size(const Expectation& e) const noexcept { return cat_->size(cat_->class_of(e.next_seq, stream_offset_)); }

  void begin(Expectation e) noexcept;
  void feed(std::span<const uint8_t> chunk) noexcept;
  VerifyResult end() noexcept;

  // Stream framing (raw TCP mode, where the bytes carry no message boundaries): how many more bytes
  // of the stream belong to the current message, as far as is known now. Before the head is
  // resolved that is the rest of the head; after, the rest of the resolved message. SIZE_MAX when
  // nothing is expected (the bytes are all unexpected).
  size_t bytes_wanted() const noexcept;
  bool complete() const noexcept { return resolved_ && (!exp_.expecting || off_ == size_); }

 private:
  void resolve(const uint8_t* head, size_t n) noexcept;
  void set_target(uint64_t seq) noexcept;
  void compare(const uint8_t* p, size_t n) noexcept;

  bool resolve_foreign(const uint8_t* head, size_t n) noexcept;

  const PayloadCatalogue* cat_;
  uint32_t stream_offset_;
  uint8_t head_len_;       // bytes compared against enc_ rather than the template: 8, tagged 16
  Expectation exp_{};
  bool resolved_ = false;
  bool bad_ = false;
  uint8_t head_need_ = 0;  // bytes that resolve the message: min(head_len_, expected size)
  uint8_t stash_len_ = 0;
  uint32_t foreign_ = 0;   // the resolved message's publisher when it is not ours (tagged only)
  uint64_t seq_ = 0;
  uint64_t skipped_ = 0;
  size_t size_ = 0;         // resolved message's size
  size_t off_ = 0;          // bytes of this message compared so far
  const uint8_t* tmpl_ = nullptr;
  uint8_t enc_[kSeqBytes + kTagBytes]{};   // the resolved message's head: number (and tag)
  uint8_t own_tag_[kTagBytes]{};
  uint8_t stash_[kSeqBytes + kTagBytes]{};
};

}  // namespace wsalloc::load
