#include "load/payload.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include <map>
#include <random>

#include "core/utf8.hpp"

namespace wsalloc::load {
namespace {

TEST(Payload, sequence_numbers_round_trip_as_ascii) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t seq = i < 100 ? static_cast<uint64_t>(i) : rng() % kSeqLimit;
    uint8_t enc[kSeqBytes];
    encode_seq(seq, enc);
    for (uint8_t b : enc) ASSERT_LT(b, 0x80);
    const auto back = decode_seq(enc);
    ASSERT_TRUE(back.has_value());
    ASSERT_EQ(*back, seq);
  }
}

TEST(Payload, decode_rejects_bytes_outside_the_alphabet) {
  uint8_t enc[kSeqBytes];
  encode_seq(12345, enc);
  enc[3] = '!';
  EXPECT_FALSE(decode_seq(enc).has_value());
}

TEST(Payload, text_templates_are_valid_utf8_with_multibyte_characters_at_every_size) {
  std::vector<size_t> sizes;
  for (size_t s = 0; s < 40; ++s) sizes.push_back(s);
  for (size_t s : {100u, 1000u, 16384u, 65536u}) sizes.push_back(s);
  const PayloadCatalogue cat(sizes, {}, PayloadKind::Text);
  size_t multibyte = 0;
  for (uint32_t c = 0; c < cat.classes(); ++c) {
    const auto b = cat.bytes(c);
    ASSERT_EQ(b.size(), sizes[c]);
    ASSERT_TRUE(core::utf8_valid(b)) << "size " << b.size();
    // With any sequence number in the head the message is still valid.
    if (b.size() >= kSeqBytes) {
      std::vector<uint8_t> msg(b.begin(), b.end());
      encode_seq(0xABCDEF123ULL, msg.data());
      ASSERT_TRUE(core::utf8_valid(msg)) << "size " << b.size();
    }
    for (uint8_t x : b) multibyte += x >= 0x80;
  }
  EXPECT_GT(multibyte, 1000u);
}

TEST(Payload, binary_templates_use_every_byte_value) {
  const PayloadCatalogue cat({4096}, {}, PayloadKind::Binary);
  std::vector<bool> seen(256);
  for (uint8_t b : cat.bytes(0).subspan(kSeqBytes)) seen[b] = true;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 256);
}

TEST(Payload, weights_are_realised_to_one_slot_in_the_mix) {
  const PayloadCatalogue cat({32, 512, 16384}, {70, 25, 5}, PayloadKind::Binary);
  std::map<uint32_t, size_t> n;
  for (uint64_t s = 0; s < kMixSlots; ++s) ++n[cat.class_of(s, 0)];
  // 16384 slots: 11468.8 / 4096 / 819.2, apportioned by largest remainder.
  EXPECT_EQ(n[0], 11469u);
  EXPECT_EQ(n[1], 4096u);
  EXPECT_EQ(n[2], 819u);
  EXPECT_NEAR(cat.mean_size(), 0.7 * 32 + 0.25 * 512 + 0.05 * 16384, 1.0);
  EXPECT_EQ(cat.max_size(), 16384u);
}

TEST(Payload, mix_is_interleaved_not_in_blocks) {
  const PayloadCatalogue cat({1, 2}, {1, 1}, PayloadKind::Binary);
  size_t changes = 0;
  for (uint64_t s = 1; s < 1000; ++s) changes += cat.class_of(s, 0) != cat.class_of(s - 1, 0);
  EXPECT_GT(changes, 300u);
}

TEST(Payload, a_tiny_weight_still_occurs) {
  const PayloadCatalogue cat({10, 20}, {1000000, 1}, PayloadKind::Binary);
  size_t rare = 0;
  for (uint64_t s = 0; s < kMixSlots; ++s) rare += cat.class_of(s, 0) == 1;
  EXPECT_EQ(rare, 1u);
}

TEST(Payload, the_same_sequence_has_the_same_size_on_both_ends) {
  const PayloadCatalogue a({32, 512}, {3, 1}, PayloadKind::Binary), b({32, 512}, {3, 1}, PayloadKind::Binary);
  for (uint64_t s = 0; s < 5000; ++s) ASSERT_EQ(a.class_of(s, 17), b.class_of(s, 17));
  EXPECT_TRUE(std::equal(a.bytes(1).begin(), a.bytes(1).end(), b.bytes(1).begin()));
}

TEST(Payload, rejects_mismatched_or_zero_weights) {
  EXPECT_THROW(PayloadCatalogue({32, 64}, {1}, PayloadKind::Binary), std::invalid_argument);
  EXPECT_THROW(PayloadCatalogue({32}, {0}, PayloadKind::Binary), std::invalid_argument);
  EXPECT_THROW(PayloadCatalogue({}, {}, PayloadKind::Binary), std::invalid_argument);
}

TEST(Payload, json_like_text_is_ascii_records_cut_anywhere) {
  std::vector<uint8_t> buf(1000);
  fill_json(buf, 7);
  for (uint8_t b : buf) EXPECT_LT(b, 0x80);
  const std::string s(buf.begin(), buf.end());
  EXPECT_EQ(s.rfind("{\"id\":", 0), 0u);
  EXPECT_NE(s.find("\"user\":"), std::string::npos);
  const PayloadCatalogue cat({3, 100}, {}, PayloadKind::Json);
  EXPECT_TRUE(is_text(cat.kind()));
  EXPECT_EQ(cat.size(0), 3u);
  EXPECT_EQ(cat.size(1), 100u);
}

TEST(Payload, varied_catalogue_has_distinct_templates_per_size_and_a_bounded_footprint) {
  const PayloadCatalogue plain({2048}, {}, PayloadKind::Binary);
  EXPECT_EQ(plain.classes(), 1u);
  const PayloadCatalogue varied({2048}, {}, PayloadKind::Binary, 0x5eed, true);
  EXPECT_EQ(varied.classes(), kMaxVariants);
  std::set<std::string> distinct;
  for (uint32_t c = 0; c < varied.classes(); ++c) {
    EXPECT_EQ(varied.size(c), 2048u);
    const auto b = varied.bytes(c).subspan(kSeqBytes);
    distinct.emplace(reinterpret_cast<const char*>(b.data()), b.size());
  }
  EXPECT_EQ(distinct.size(), kMaxVariants);
  std::set<uint32_t> seen;  // consecutive messages draw different variants
  for (uint64_t seq = 0; seq < 16; ++seq) seen.insert(varied.class_of(seq, 0));
  EXPECT_GT(seen.size(), 12u);
  const PayloadCatalogue big({1u << 20, 64}, {1, 1}, PayloadKind::Json, 0x5eed, true);
  EXPECT_EQ(big.classes(), 2 * (kVariedTemplateBytes >> 20)) << "1 MiB messages: few variants";
  for (uint64_t seq = 0; seq < 64; ++seq) {
    const uint32_t c = big.class_of(seq, 3);
    EXPECT_TRUE(big.size(c) == (1u << 20) || big.size(c) == 64u);
  }
}

TEST(Payload, a_tagged_template_carries_its_publisher_after_the_sequence_number) {
  const PayloadCatalogue untagged({64}, {}, PayloadKind::Text);
  const PayloadCatalogue a({64}, {}, PayloadKind::Text, 0x5eed, false, {1, 3}), b({64}, {}, PayloadKind::Text, 0x5eed, false, {3, 3});
  EXPECT_EQ(untagged.head_bytes(), kSeqBytes);
  EXPECT_EQ(a.head_bytes(), kSeqBytes + kTagBytes);
  EXPECT_EQ(decode_seq(a.bytes(0).data() + kSeqBytes), 1u);
  EXPECT_EQ(decode_seq(b.bytes(0).data() + kSeqBytes), 3u);
  // Every publisher's template is the same apart from the tag, so a receiver can check any of them.
  EXPECT_TRUE(std::equal(a.bytes(0).begin() + 16, a.bytes(0).end(), b.bytes(0).begin() + 16));
}

TEST(Payload, a_tagged_catalogue_refuses_messages_too_short_for_the_tag_and_a_bad_index) {
  EXPECT_THROW(PayloadCatalogue({64, 15}, {}, PayloadKind::Binary, 0x5eed, false, {1, 2}), std::invalid_argument);
  EXPECT_NO_THROW(PayloadCatalogue({15}, {}, PayloadKind::Binary, 0x5eed, false, {1, 1}));
  EXPECT_THROW(PayloadCatalogue({64}, {}, PayloadKind::Binary, 0x5eed, false, {3, 2}), std::invalid_argument);
  EXPECT_THROW(PayloadCatalogue({64}, {}, PayloadKind::Binary, 0x5eed, false, {0, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace wsalloc::load
