// Payloads: what wsload sends, and what it expects back.
//
// Every message is a pre-built template of its size class whose first min(8, size) bytes are
// replaced by the message's sequence number, written as 8 ASCII characters (6 bits each, least
// significant first, alphabet A-Z a-z 0-9 - _; 48 bits: 2.8e14 messages per connection). ASCII keeps
// text messages valid UTF-8 whatever the number. The rest of the template is
//   binary: bytes from a seeded PRNG (every byte value occurs, so a corrupted byte is caught);
//   text:   valid UTF-8 mixing 1-, 2-, 3- and 4-byte characters, padded with ASCII so every size
//           class ends on a character boundary.
//   json:   text shaped like a JSON array of records (repeated keys, varying values), ASCII: what
//           compresses as real application traffic does (permessage-deflate scenarios); sent as
//           text messages.
// Verification (see verify.hpp) compares every echoed byte with the template and the expected
// sequence number: memcmp speed, no checksum to compute, nothing allocated per message.
//
// Publisher tag (wsload --broadcast-shard K/N, N > 1: one of N wsload processes, each with its own
// publisher on one broadcast group): bytes [8, 16) of every template carry K, encoded like a
// sequence number, and the text starts after them. Receivers tell the N publishers' messages apart
// by it (verify.hpp); every publisher's templates are otherwise identical, since the seed is fixed.
//
// Size mix: the sizes and weights are expanded into a table of kMixSlots class indices (largest-
// remainder apportionment, every weight > 0 gets at least one slot), shuffled with a fixed seed.
// Message `seq` of a stream with offset `off` is of class table[(seq + off) % kMixSlots]: sender and
// receiver (even a broadcast receiver on another thread) derive a message's size from its sequence
// number alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "load/prng.hpp"

namespace wsalloc::load {

inline constexpr size_t kSeqBytes = 8;
inline constexpr size_t kTagBytes = 8;   // the publisher tag after the sequence number (tagged only)
inline constexpr uint64_t kSeqLimit = uint64_t{1} << 48;
// A power of two, so class_of() is a mask, not a division (it runs several times per message);
// weights are realised to within 1/16384 (0.006 %).
inline constexpr size_t kMixSlots = 16384;
// Varied catalogues (--deflate): up to kMaxVariants templates per size, at most kVariedTemplateBytes
// of them per size; a class is then (size, variant). 256 keeps an exact repeat within a 32 KiB
// deflate window of 2 KiB messages to about 6 % of messages; messages over 32 KiB cannot reach
// back to an earlier one anyway.
inline constexpr size_t kMaxVariants = 256;
inline constexpr size_t kVariedTemplateBytes = 4u << 20;

enum class PayloadKind : uint8_t { Binary, Text, Json };
// Json is text on the wire (opcode Text); only its bytes differ.
constexpr bool is_text(PayloadKind k) noexcept { return k != PayloadKind::Binary; }

namespace detail {
// Two alphabet characters per 12 bits: encode_seq is 4 table loads instead of 8 (8 KiB, stays in L1/L2).
struct SeqPairTable {
  uint16_t pair[4096];
};
extern const SeqPairTable kSeqPairs;
}  // namespace detail

// Writes seq mod 2^48 as 8 ASCII characters (6 bits each, least significant first).
inline void encode_seq(uint64_t seq, uint8_t out[kSeqBytes]) noexcept {
  for (size_t i = 0; i < kSeqBytes; i += 2) {
    const uint16_t p = detail::kSeqPairs.pair[seq & 4095];
    out[i] = static_cast<uint8_t>(p);
    out[i + 1] = static_cast<uint8_t>(p >> 8);
    seq >>= 12;
  }
}
// Inverse of encode_seq; nullopt when a byte is outside the alphabet.
std::optional<uint64_t> decode_seq(const uint8_t in[kSeqBytes]) noexcept;

// Which of `count` publishers sharing one broadcast group this process's sender is (1-based).
// count == 1: untagged, the templates are exactly what they were before tags existed.
struct PublisherTag {
  uint32_t index = 1;
  uint32_t count = 1;
  bool tagged() const noexcept { return count > 1; }
};

class PayloadCatalogue {
 public:
  // REQUIRES: sizes non-empty; weights empty (all equal) or one per size, not all 0; tagged: every
  // size >= kSeqBytes + kTagBytes (the tag needs its place).
  // Throws std::invalid_argument naming the offending value.
  // varied: several templates per size (see kMaxVariants), for compression runs.
  // tag: this sender's place among several publishers of one broadcast group (--broadcast-shard).
  PayloadCatalogue(std::vector<size_t> sizes, std::vector<unsigned> weights, PayloadKind kind, uint64_t seed = 0x5eed,
                   bool varied = false, PublisherTag tag = {});

  size_t classes() const noexcept { return templates_.size(); }  // sizes x variants
  size_t size(uint32_t cls) const noexcept { return templates_[cls].size(); }
  // The template of a class; its first min(8, size) bytes are placeholders for the sequence number.
  std::span<const uint8_t> bytes(uint32_t cls) const noexcept { return templates_[cls]; }
  uint32_t class_of(uint64_t seq, uint32_t stream_offset) const noexcept {
    return single_ ? 0 : mix_[(seq + stream_offset) & (kMixSlots - 1)];
  }
  size_t max_size() const noexcept { return max_size_; }
  double mean_size() const noexcept { return mean_size_; }   // over the mix table
  PayloadKind kind() const noexcept { return kind_; }
  const PublisherTag& tag() const noexcept { return tag_; }
  // Bytes at the start of a message that are not template: the sequence number, and the tag.
  size_t head_bytes() const noexcept { return tag_.tagged() ? kSeqBytes + kTagBytes : kSeqBytes; }
  const std::vector<size_t>& sizes() const noexcept { return sizes_; }
  const std::vector<unsigned>& weights() const noexcept { return weights_; }

 private:
  uint64_t validate();  // throws std::invalid_argument naming the bad size/weight; returns the weights' sum
  void make_templates(Wyrand& rng, bool varied);
  void make_mix(const std::vector<uint64_t>& slots, Wyrand& rng);

  PayloadKind kind_;
  PublisherTag tag_;
  std::vector<size_t> sizes_;
  std::vector<unsigned> weights_;
  std::vector<std::vector<uint8_t>> templates_;
  std::vector<uint32_t> mix_;
  size_t max_size_ = 0;
  double mean_size_ = 0;
  bool single_ = false;  // one class: every message is class 0
  size_t variants_ = 1;  // templates per size
};

// Fills `out` with valid UTF-8 (mixed character widths) that ends on a character boundary.
void fill_text(std::span<uint8_t> out, uint64_t seed) noexcept;
// Fills `out` with JSON-like ASCII records, cut at out.size() (any cut is valid UTF-8).
void fill_json(std::span<uint8_t> out, uint64_t seed) noexcept;

}  // namespace wsalloc::load
