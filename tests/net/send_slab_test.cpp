#include "net/send_slab.hpp"

#include <gtest/gtest.h>

namespace wsalloc::net {
namespace {

TEST(SendSlab, appends_are_contiguous_within_a_chunk) {
  SendSlab s;
  SendSlab::Piece a = s.append(100), b = s.append(50);
  EXPECT_EQ(a.len, 100u);
  EXPECT_EQ(b.data, a.data + 100);
  EXPECT_EQ(a.chunk, b.chunk);
}

TEST(SendSlab, a_piece_ends_at_the_chunk_end_and_the_next_starts_a_fresh_chunk) {
  SendSlab s;
  SendSlab::Piece a = s.append(SendSlab::kChunkBytes - 10);
  s.ref(a.chunk);
  SendSlab::Piece b = s.append(100);
  EXPECT_EQ(b.len, 10u) << "what is left of the chunk";
  SendSlab::Piece c = s.append(90);
  EXPECT_NE(c.chunk, a.chunk);
  EXPECT_EQ(c.len, 90u);
}

TEST(SendSlab, the_current_chunk_rewinds_when_its_last_reference_goes) {
  SendSlab s;
  SendSlab::Piece a = s.append(1000);
  s.ref(a.chunk);
  s.unref(a.chunk);
  SendSlab::Piece b = s.append(10);
  EXPECT_EQ(b.data, a.data) << "the same warm bytes are reused";
}

TEST(SendSlab, grows_only_when_every_chunk_is_referenced_and_reuses_released_ones) {
  SendSlab s;
  const size_t start = s.chunks();
  std::vector<uint32_t> held;
  for (size_t i = 0; i < start + 2; ++i) {
    SendSlab::Piece p = s.append(SendSlab::kChunkBytes);
    s.ref(p.chunk);
    held.push_back(p.chunk);
  }
  EXPECT_EQ(s.chunks(), start + 2);
  EXPECT_EQ(s.grown(), 2u);
  for (uint32_t c : held) s.unref(c);
  for (size_t i = 0; i < start + 2; ++i) s.ref(s.append(SendSlab::kChunkBytes).chunk);
  EXPECT_EQ(s.grown(), 2u) << "released chunks were not reused";
}

TEST(SendSlab, only_unreferenced_chunks_idle_long_enough_lose_their_pages) {
  SendSlab s;
  SendSlab::Piece a = s.append(SendSlab::kChunkBytes);
  s.ref(a.chunk);
  SendSlab::Piece b = s.append(SendSlab::kChunkBytes);  // a fresh chunk: `a` is referenced
  s.ref(b.chunk);
  s.unref(a.chunk);  // idle from now (b is the current chunk)
  const size_t before = s.resident_chunks();
  s.trim_idle(IdlePages::Clock::now(), std::chrono::hours(1));
  EXPECT_EQ(s.resident_chunks(), before) << "trimmed a chunk that was not idle long enough";
  s.trim_idle(IdlePages::Clock::now() + std::chrono::seconds(5), std::chrono::seconds(1));
  EXPECT_LT(s.resident_chunks(), before);
  s.unref(b.chunk);
}

}  // namespace
}  // namespace wsalloc::net
