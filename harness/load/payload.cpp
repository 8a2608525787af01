#include "load/payload.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "load/prng.hpp"

namespace wsalloc::load {

namespace {

constexpr char kAlphabet[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> make_decode_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kDecode = make_decode_table();

// Characters of every UTF-8 width, including the edges of the ranges a validator must get right
// (U+0080, U+07FF, U+0800, U+FFFD, U+10000, U+10FFFF) and ones around the surrogate gap.
constexpr std::string_view kChars[] = {
    "a", "Z", "0", " ", "~",                   // 1 byte
    "\xC2\x80", "\xC3\xA9", "\xDF\xBF",        // U+0080, é, U+07FF
    "\xE0\xA0\x80", "\xE2\x82\xAC", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBD",  // U+0800 € U+D7FF U+E000 U+FFFD
    "\xF0\x90\x80\x80", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",                      // U+10000 😀 U+10FFFF
};

}  // namespace

namespace detail {
constexpr SeqPairTable make_pairs() {
  SeqPairTable t{};
  for (unsigned v = 0; v < 4096; ++v) {
    t.pair[v] = static_cast<uint16_t>(static_cast<uint8_t>(kAlphabet[v & 63]) | (static_cast<uint8_t>(kAlphabet[v >> 6]) << 8));
  }
  return t;
}
constexpr SeqPairTable kSeqPairs = make_pairs();
}  // namespace detail

std::optional<uint64_t> decode_seq(const uint8_t in[kSeqBytes]) noexcept {
  uint64_t v = 0;
  for (size_t i = kSeqBytes; i-- > 0;) {
    const int8_t d = kDecode[in[i]];
    if (d < 0) return std::nullopt;
    v = (v << 6) | static_cast<uint64_t>(d);
  }
  return v;
}

void fill_text(std::span<uint8_t> out, uint64_t seed) noexcept {
  Wyrand rng(seed);
  size_t i = 0;
  while (i < out.size()) {
    const auto c = kChars[rng.next() % std::size(kChars)];
    const size_t left = out.size() - i;
    if (c.size() > left) {  // pad with ASCII so the buffer ends on a character boundary
      out[i++] = static_cast<uint8_t>('a' + rng.next() % 26);
      continue;
    }
    std::copy(c.begin(), c.end(), out.begin() + static_cast<std::ptrdiff_t>(i));
    i += c.size();
  }
}

void fill_json(std::span<uint8_t> out, uint64_t seed) noexcept {
  // Keys repeat as in real API traffic; values vary, so a compressor finds structure, not one
  // record copied over and over (which would compress far better than anything real).
  static constexpr std::string_view kNames[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
  static constexpr std::string_view kStates[] = {"active", "idle", "away", "busy"};
  Wyrand rng(seed);
  char rec[160];
  size_t i = 0;
  while (i < out.size()) {
    const uint64_t r = rng.next();
    const int n = std::snprintf(rec, sizeof rec,
                                "{\"id\":%llu,\"user\":\"%s%u\",\"state\":\"%s\",\"score\":%u.%02u,"
                                "\"tags\":[\"t%u\",\"t%u\"],\"ok\":%s},",
                                static_cast<unsigned long long>(r % 1000000), kNames[r >> 20 & 7].data(),
                                static_cast<unsigned>(r >> 23 & 255), kStates[r >> 31 & 3].data(),
                                static_cast<unsigned>(r >> 33 & 1023), static_cast<unsigned>(r >> 43 & 63) % 100,
                                static_cast<unsigned>(r >> 49 & 31), static_cast<unsigned>(r >> 54 & 31),
                                (r >> 59 & 1) ? "true" : "false");
    const size_t take = std::min(out.size() - i, static_cast<size_t>(n));
    std::memcpy(out.data() + i, rec, take);
    i += take;
  }
}

namespace {

// Largest-remainder apportionment of kMixSlots among the weights (which add up to `total` > 0):
// how many slots of the mix each size gets. A size with a weight gets at least one.
std::vector<uint64_t> apportion_mix_slots(const std::vector<unsigned>& weights, uint64_t total) {
  std::vector<uint64_t> slots(weights.size());
  std::vector<std::pair<uint64_t, size_t>> remainders;
  uint64_t given = 0;
  for (size_t c = 0; c < weights.size(); ++c) {
    const uint64_t exact = uint64_t{weights[c]} * kMixSlots;
    slots[c] = exact / total;
    if (weights[c] > 0 && slots[c] == 0) slots[c] = 1;  // a weighted size must occur
    given += slots[c];
    remainders.emplace_back(exact % total, c);
  }
  std::sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (size_t k = 0; given < kMixSlots; k = (k + 1) % remainders.size()) {
    if (weights[remainders[k].second] == 0) continue;
    ++slots[remainders[k].second];
    ++given;
  }
  while (given > kMixSlots) {  // only after the at-least-one bumps: take from the largest share
    auto it = std::max_element(slots.begin(), slots.end());
    --*it;
    --given;
  }
  return slots;
}

}  // namespace

PayloadCatalogue::PayloadCatalogue(std::vector<size_t> sizes, std::vector<unsigned> weights, PayloadKind kind, uint64_t seed,
                                   bool varied, PublisherTag tag)
    : kind_(kind), tag_(tag), sizes_(std::move(sizes)), weights_(std::move(weights)) {
  const uint64_t total_weight = validate();
  Wyrand rng(seed);  // templates first, then the shuffle: the order fixes what a seed produces
  make_templates(rng, varied);
  make_mix(apportion_mix_slots(weights_, total_weight), rng);
  single_ = templates_.size() == 1;
}

uint64_t PayloadCatalogue::validate() {
  if (sizes_.empty()) throw std::invalid_argument("payload: no sizes given");
  if (tag_.index < 1 || tag_.index > tag_.count) {
    throw std::invalid_argument("publisher " + std::to_string(tag_.index) + " of " + std::to_string(tag_.count) +
                                ": the index must be 1.." + std::to_string(tag_.count));
  }
  for (size_t s : sizes_) {
    if (tag_.tagged() && s < kSeqBytes + kTagBytes) {
      throw std::invalid_argument("payload " + std::to_string(s) + " B < " + std::to_string(kSeqBytes + kTagBytes) +
                                  " B: a message of one of several publishers carries its sequence number and its publisher's tag");
    }
  }
  if (weights_.empty()) weights_.assign(sizes_.size(), 1);
  if (weights_.size() != sizes_.size()) {
    throw std::invalid_argument("payload: " + std::to_string(weights_.size()) + " weights for " +
                                std::to_string(sizes_.size()) + " sizes (need one weight per size)");
  }
  const uint64_t total = std::accumulate(weights_.begin(), weights_.end(), uint64_t{0});
  if (total == 0) throw std::invalid_argument("payload: weights add up to 0");
  if (sizes_.size() > kMixSlots) throw std::invalid_argument("payload: " + std::to_string(sizes_.size()) + " sizes > " + std::to_string(kMixSlots));
  return total;
}

void PayloadCatalogue::make_templates(Wyrand& rng, bool varied) {
  // Varied: several templates per size (distinct bytes; for JSON distinct values under the same
  // keys), drawn in a shuffled order. With one template per size, a compressor that keeps context
  // (permessage-deflate's takeover) finds each message whole in its window and reports a ratio no
  // real traffic has. Capped so the templates of one size stay within kVariedTemplateBytes.
  const size_t largest = *std::max_element(sizes_.begin(), sizes_.end());
  variants_ = varied ? std::clamp<size_t>(kVariedTemplateBytes / std::max<size_t>(largest, 1), 1, kMaxVariants) : 1;
  for (size_t c = 0; c < sizes_.size() * variants_; ++c) {
    std::vector<uint8_t> t(sizes_[c / variants_]);
    // Placeholder for the sequence number (and the publisher tag): ASCII, so templates stay valid
    // UTF-8 on their own too. The text starts after it, so no character straddles the field.
    const size_t head = std::min(head_bytes(), t.size());
    std::fill_n(t.begin(), head, uint8_t{'A'});
    if (tag_.tagged()) encode_seq(tag_.index, t.data() + kSeqBytes);
    const std::span<uint8_t> body(t.data() + head, t.size() - head);
    if (kind_ == PayloadKind::Text) {
      fill_text(body, rng.next());
    } else if (kind_ == PayloadKind::Json) {
      fill_json(body, rng.next());
    } else {
      for (auto& b : body) b = static_cast<uint8_t>(rng.next());
    }
    max_size_ = std::max(max_size_, t.size());
    templates_.push_back(std::move(t));
  }
}

void PayloadCatalogue::make_mix(const std::vector<uint64_t>& slots, Wyrand& rng) {
  mix_.reserve(kMixSlots);
  double bytes = 0;
  for (size_t c = 0; c < sizes_.size(); ++c) {
    for (uint64_t k = 0; k < slots[c]; ++k) mix_.push_back(static_cast<uint32_t>(c * variants_ + k % variants_));
    bytes += static_cast<double>(slots[c]) * static_cast<double>(sizes_[c]);
  }
  for (size_t i = mix_.size(); i > 1; --i) std::swap(mix_[i - 1], mix_[rng.next() % i]);  // Fisher-Yates
  mean_size_ = bytes / kMixSlots;
}

}  // namespace wsalloc::load
