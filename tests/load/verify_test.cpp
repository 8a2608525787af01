#include "load/verify.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wsalloc::load {
namespace {

// The bytes of message `seq` as wsload sends them.
std::vector<uint8_t> message(const PayloadCatalogue& cat, uint64_t seq, uint32_t off = 0) {
  const auto t = cat.bytes(cat.class_of(seq, off));
  std::vector<uint8_t> m(t.begin(), t.end());
  uint8_t enc[kSeqBytes];
  encode_seq(seq, enc);
  std::copy(enc, enc + std::min(kSeqBytes, m.size()), m.begin());
  return m;
}

VerifyResult check(MessageVerifier& v, Expectation e, const std::vector<uint8_t>& m, size_t step = 0) {
  v.begin(e);
  if (step == 0) step = m.size() ? m.size() : 1;
  for (size_t off = 0; off < m.size(); off += step) {
    v.feed(std::span<const uint8_t>(m).subspan(off, std::min(step, m.size() - off)));
  }
  if (m.empty()) v.feed({});
  return v.end();
}

TEST(Verify, a_faithful_echo_matches) {
  const PayloadCatalogue cat({64}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  const auto r = check(v, {5, 0, true}, message(cat, 5));
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.seq, 5u);
  EXPECT_EQ(r.skipped, 0u);
}

TEST(Verify, a_faithful_echo_matches_in_any_split) {
  const PayloadCatalogue cat({3, 8, 9, 300}, {}, PayloadKind::Text);
  MessageVerifier v(cat, 0);
  for (uint64_t seq = 0; seq < 40; ++seq) {
    for (size_t step : {1u, 2u, 5u, 7u, 64u}) {
      ASSERT_EQ(check(v, {seq, 3, true}, message(cat, seq), step).verdict, Verdict::Match) << seq << "/" << step;
    }
  }
}

TEST(Verify, one_changed_byte_anywhere_is_a_mismatch) {
  const PayloadCatalogue cat({40}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  for (size_t i = 0; i < 40; ++i) {
    auto m = message(cat, 9);
    m[i] ^= 0x20;
    const auto r = check(v, {9, 0, true}, m);
    EXPECT_EQ(r.verdict, Verdict::Mismatch) << "byte " << i;
  }
}

TEST(Verify, a_shorter_or_longer_echo_is_a_mismatch) {
  const PayloadCatalogue cat({40}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  auto m = message(cat, 2);
  m.pop_back();
  EXPECT_EQ(check(v, {2, 0, true}, m).verdict, Verdict::Mismatch);
  m = message(cat, 2);
  m.push_back(0);
  EXPECT_EQ(check(v, {2, 0, true}, m).verdict, Verdict::Mismatch);
  EXPECT_EQ(check(v, {2, 0, true}, {}).verdict, Verdict::Mismatch);
}

TEST(Verify, a_later_message_arriving_first_reports_the_skipped_ones) {
  const PayloadCatalogue cat({16, 100}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 3);
  const auto r = check(v, {10, 4, true}, message(cat, 12, 3));
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.seq, 12u);
  EXPECT_EQ(r.skipped, 2u);
}

TEST(Verify, a_sequence_number_beyond_what_was_sent_is_a_mismatch_not_a_skip) {
  const PayloadCatalogue cat({16}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  const auto r = check(v, {10, 1, true}, message(cat, 12));
  EXPECT_EQ(r.verdict, Verdict::Mismatch);
  EXPECT_EQ(r.skipped, 0u);
}

TEST(Verify, an_old_sequence_number_is_a_mismatch) {
  const PayloadCatalogue cat({16}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  EXPECT_EQ(check(v, {10, 5, true}, message(cat, 9)).verdict, Verdict::Mismatch);
}

TEST(Verify, a_message_when_none_is_outstanding_is_unexpected) {
  const PayloadCatalogue cat({16}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  EXPECT_EQ(check(v, {0, 0, false}, message(cat, 0)).verdict, Verdict::Unexpected);
}

TEST(Verify, tiny_and_empty_messages_are_checked_whole) {
  const PayloadCatalogue cat({0, 1, 5}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  for (uint64_t seq = 0; seq < 30; ++seq) {
    auto m = message(cat, seq);
    ASSERT_EQ(check(v, {seq, 0, true}, m).verdict, Verdict::Match) << seq;
    if (m.empty()) {
      m.push_back('A');  // an empty message must come back empty
    } else {
      m.back() ^= 1;
    }
    ASSERT_EQ(check(v, {seq, 0, true}, m).verdict, Verdict::Mismatch) << seq;
  }
}

TEST(Verify, whole_message_fast_path_agrees_with_the_general_path) {
  const PayloadCatalogue cat({0, 5, 8, 40}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 1);
  for (uint64_t seq = 0; seq < 40; ++seq) {
    auto m = message(cat, seq, 1);
    VerifyResult fast{};
    ASSERT_TRUE(v.check_whole({seq, 2, true}, m, fast)) << seq;
    EXPECT_EQ(fast.verdict, Verdict::Match);
    EXPECT_EQ(fast.size, m.size());
    if (m.size() > kSeqBytes) {
      m.back() ^= 4;  // content differs, sequence number right: the fast path can tell
      ASSERT_TRUE(v.check_whole({seq, 2, true}, m, fast));
      EXPECT_EQ(fast.verdict, Verdict::Mismatch);
    }
    // Another sequence number or length: left to the general path (an empty message carries none).
    const auto other = message(cat, seq + 2, 1);
    if (!other.empty()) {
      EXPECT_FALSE(v.check_whole({seq + 1, 2, true}, other, fast) && fast.verdict == Verdict::Match);
    }
    EXPECT_FALSE(v.check_whole({seq, 0, false}, message(cat, seq, 1), fast));
  }
}

TEST(Verify, stream_framing_splits_a_raw_byte_stream_into_messages) {
  const PayloadCatalogue cat({3, 20, 9}, {}, PayloadKind::Binary);
  MessageVerifier v(cat, 0);
  std::vector<uint8_t> stream;
  for (uint64_t s = 0; s < 50; ++s) {
    auto m = message(cat, s);
    stream.insert(stream.end(), m.begin(), m.end());
  }
  uint64_t next = 0, matched = 0;
  bool in = false;
  for (size_t off = 0; off < stream.size();) {
    const size_t chunk = std::min<size_t>(7, stream.size() - off);
    std::span<const uint8_t> bytes(stream.data() + off, chunk);
    off += chunk;
    while (!bytes.empty()) {
      if (!in) {
        v.begin({next, 0, true});
        in = true;
      }
      const size_t n = std::min(v.bytes_wanted(), bytes.size());
      v.feed(bytes.first(n));
      bytes = bytes.subspan(n);
      if (v.complete()) {
        in = false;
        const auto r = v.end();
        ASSERT_EQ(r.verdict, Verdict::Match) << next;
        ++next;
        ++matched;
      }
    }
  }
  EXPECT_EQ(matched, 50u);
}

// ------------------------------------------------------------ several publishers (broadcast shards)

// Message `seq` of publisher `k` of a tagged catalogue: its template with the number and k's tag.
std::vector<uint8_t> tagged_message(const PayloadCatalogue& cat, uint64_t seq, uint32_t k) {
  auto m = message(cat, seq);
  encode_seq(k, m.data() + kSeqBytes);
  return m;
}

TEST(Verify, tagged_own_messages_take_the_fast_path_and_match) {
  const PayloadCatalogue cat({64}, {}, PayloadKind::Binary, 0x5eed, false, {2, 3});
  MessageVerifier v(cat, 0);
  VerifyResult r{};
  ASSERT_TRUE(v.check_whole({7, 0, true}, tagged_message(cat, 7, 2), r));
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.foreign_publisher, 0u);
}

TEST(Verify, another_publishers_message_with_the_expected_number_is_foreign_not_a_mismatch) {
  const PayloadCatalogue cat({64}, {}, PayloadKind::Text, 0x5eed, false, {2, 3});
  MessageVerifier v(cat, 0);
  VerifyResult r{};
  EXPECT_FALSE(v.check_whole({7, 0, true}, tagged_message(cat, 7, 3), r)) << "the fast path must not judge it";
  for (size_t step : {0u, 1u, 5u, 9u, 15u, 16u, 17u}) {
    r = check(v, {7, 4, true}, tagged_message(cat, 7, 3), step);
    EXPECT_EQ(r.verdict, Verdict::Match) << step;
    EXPECT_EQ(r.foreign_publisher, 3u) << step;
    EXPECT_EQ(r.seq, 7u) << step;
    EXPECT_EQ(r.skipped, 0u) << "our own sequence is untouched by another publisher's message";
  }
  r = check(v, {7, 4, true}, tagged_message(cat, 123456, 1), 3);
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.foreign_publisher, 1u);
  EXPECT_EQ(r.seq, 123456u) << "its own number, whatever ours expects";
}

TEST(Verify, a_foreign_message_is_checked_byte_for_byte) {
  const PayloadCatalogue cat({40}, {}, PayloadKind::Binary, 0x5eed, false, {1, 2});
  MessageVerifier v(cat, 0);
  for (size_t i = kSeqBytes + kTagBytes; i < 40; ++i) {
    auto m = tagged_message(cat, 11, 2);
    m[i] ^= 0x01;
    const auto r = check(v, {3, 0, true}, m);
    EXPECT_EQ(r.verdict, Verdict::Mismatch) << "byte " << i;
    EXPECT_EQ(r.foreign_publisher, 2u);
  }
  auto longer = tagged_message(cat, 11, 2);
  longer.push_back(0);
  EXPECT_EQ(check(v, {3, 0, true}, longer).verdict, Verdict::Mismatch);
}

TEST(Verify, a_tag_naming_no_publisher_is_our_message_altered) {
  const PayloadCatalogue cat({40}, {}, PayloadKind::Binary, 0x5eed, false, {1, 2});
  MessageVerifier v(cat, 0);
  for (uint32_t bad : {0u, 3u, 999u}) {
    const auto r = check(v, {5, 0, true}, tagged_message(cat, 5, bad));
    EXPECT_EQ(r.verdict, Verdict::Mismatch) << bad;
    EXPECT_EQ(r.foreign_publisher, 0u) << bad;
  }
}

TEST(Verify, a_foreign_message_is_welcome_when_none_of_ours_is_due) {
  const PayloadCatalogue cat({32}, {}, PayloadKind::Binary, 0x5eed, false, {1, 2});
  MessageVerifier v(cat, 0);
  const auto r = check(v, {0, 0, false}, tagged_message(cat, 4, 2), 4);
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.foreign_publisher, 2u);
  EXPECT_EQ(check(v, {0, 0, false}, tagged_message(cat, 4, 1)).verdict, Verdict::Unexpected) << "ours, when none is due";
}

TEST(Verify, drops_of_our_own_messages_are_still_found_when_tagged) {
  const PayloadCatalogue cat({64}, {}, PayloadKind::Binary, 0x5eed, false, {1, 2});
  MessageVerifier v(cat, 0);
  const auto r = check(v, {10, 5, true}, tagged_message(cat, 13, 1), 6);
  EXPECT_EQ(r.verdict, Verdict::Match);
  EXPECT_EQ(r.skipped, 3u);
  EXPECT_EQ(r.foreign_publisher, 0u);
}

}  // namespace
}  // namespace wsalloc::load
