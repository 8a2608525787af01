#include "core/deflate_stream.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory_resource>
#include <new>
#include <random>
#include <string>
#include <vector>

namespace wsalloc::core {
namespace {

using Bytes = std::vector<uint8_t>;

// Counts what zlib asks of it; optionally refuses everything.
class CountingResource final : public std::pmr::memory_resource {
 public:
  explicit CountingResource(bool refuse = false) : refuse_(refuse) {}
  size_t allocations = 0, deallocations = 0, live_bytes = 0, peak_bytes = 0;

 private:
  void* do_allocate(size_t n, size_t align) override {
    if (refuse_) throw std::bad_alloc();
    ++allocations;
    live_bytes += n;
    if (live_bytes > peak_bytes) peak_bytes = live_bytes;
    return std::pmr::new_delete_resource()->allocate(n, align);
  }
  void do_deallocate(void* p, size_t n, size_t align) override {
    ++deallocations;
    live_bytes -= n;
    std::pmr::new_delete_resource()->deallocate(p, n, align);
  }
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
  bool refuse_;
};

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes json_like(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n)
    s += R"({"id":)" + std::to_string(rng() % 100000) + R"(,"name":"user)" + std::to_string(rng() % 1000) +
         R"(","active":true,"tags":["a","b"]},)";
  s.resize(n);
  return Bytes(s.begin(), s.end());
}

Bytes compress(MessageDeflater& d, const Bytes& in) {
  Bytes out(MessageDeflater::bound(in.size()));
  size_t produced = 0;
  EXPECT_EQ(d.compress(in, out, produced), DeflateStatus::Ok);
  out.resize(produced);
  return out;
}

// Inflates one message's compressed payload the way the parser does: payload, then the tail;
// payload bytes left after a final (BFINAL) block are bad data.
Bytes inflate(MessageInflater& i, const Bytes& payload, InflateStatus* status = nullptr) {
  EXPECT_EQ(i.begin(true), InflateStatus::Ok);
  Bytes out;
  uint8_t buf[1000];
  InflateStatus st = InflateStatus::Ok;
  for (std::span<const uint8_t> in : {std::span<const uint8_t>(payload), std::span<const uint8_t>(kDeflateTail)}) {
    if (i.stream_ended()) break;
    const bool tail = in.data() == kDeflateTail;
    while (st == InflateStatus::Ok) {
      size_t n = 0;
      st = i.step(in, buf, n, tail);
      out.insert(out.end(), buf, buf + n);
      if (n < sizeof buf && in.empty()) break;
    }
    if (st == InflateStatus::StreamEnd && !in.empty() && in.data() != kDeflateTail) st = InflateStatus::BadData;
    if (st != InflateStatus::Ok && st != InflateStatus::StreamEnd) break;
  }
  i.end();
  if (status) *status = st;
  return out;
}

TEST(DeflateStream, round_trip_at_every_window_with_and_without_takeover) {
  for (uint8_t bits = 8; bits <= 15; ++bits) {
    for (bool takeover : {true, false}) {
      DeflateParams p{bits, !takeover};
      MessageDeflater d(p, {6, 8}, {});
      MessageInflater i(p, {});
      for (int m = 0; m < 4; ++m) {
        const Bytes msg = m % 2 ? json_like(3000 + m, m) : random_bytes(700 + m, m);
        EXPECT_EQ(inflate(i, compress(d, msg)), msg) << "bits " << int{bits} << " takeover " << takeover << " msg " << m;
      }
    }
  }
}

TEST(DeflateStream, bound_holds_for_incompressible_input_at_every_setting) {
  for (int mem = 1; mem <= 9; mem += 4) {
    for (uint8_t bits : {8, 9, 12, 15}) {
      for (int level : {0, 1, 6, 9}) {
        MessageDeflater d({bits, false}, {level, mem}, {});
        for (size_t n : {size_t{1}, size_t{2}, size_t{127}, size_t{128}, size_t{4096}, size_t{70000}, size_t{300000}}) {
          const Bytes in = random_bytes(n, static_cast<uint32_t>(n));
          Bytes out(MessageDeflater::bound(n));
          size_t produced = 0;
          ASSERT_EQ(d.compress(in, out, produced), DeflateStatus::Ok)
              << "n " << n << " bits " << int{bits} << " mem " << mem << " level " << level;
          EXPECT_LE(produced, MessageDeflater::bound(n));
        }
      }
    }
  }
}

TEST(DeflateStream, too_small_output_is_refused_not_overrun) {
  MessageDeflater d({15, false}, {}, {});
  Bytes out(MessageDeflater::bound(100) - 1);
  size_t produced = 99;
  EXPECT_EQ(d.compress(random_bytes(100, 1), out, produced), DeflateStatus::OutputTooSmall);
  EXPECT_EQ(produced, 0u);
}

TEST(DeflateStream, empty_message_is_one_zero_byte_that_inflates_to_nothing) {
  MessageDeflater d({15, false}, {}, {});
  MessageInflater i({15, false}, {});
  compress(d, json_like(100, 1));  // a kept stream after a sync flush must still handle it
  const Bytes c = compress(d, {});
  EXPECT_EQ(c, Bytes{0x00});
  EXPECT_TRUE(inflate(i, c).empty());
}

TEST(DeflateStream, output_ends_without_the_sync_tail) {
  MessageDeflater d({15, false}, {}, {});
  const Bytes c = compress(d, json_like(500, 2));
  ASSERT_GE(c.size(), 4u);
  EXPECT_NE(0, std::memcmp(c.data() + c.size() - 4, kDeflateTail, 4));
}

TEST(DeflateStream, context_takeover_makes_a_repeated_message_smaller) {
  const Bytes msg = json_like(2000, 7);
  MessageDeflater keep({15, false}, {}, {});
  MessageDeflater reset({15, true}, {}, {});
  const size_t first = compress(keep, msg).size();
  const size_t second = compress(keep, msg).size();
  EXPECT_LT(second * 4, first) << "the second copy refers back to the first";
  EXPECT_EQ(compress(reset, msg).size(), compress(reset, msg).size());
}

TEST(DeflateStream, zlib_refuses_a_raw_8_bit_window_so_9_is_used_and_stays_within_256) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -8, 8, Z_DEFAULT_STRATEGY), Z_STREAM_ERROR) << "the reason for the workaround";
  EXPECT_EQ(MessageDeflater::zlib_window_bits(8), 9);
  // Repeats at distance 300 (> 256) and 200: an honest 8-bit compressor may use only the second.
  Bytes msg;
  const Bytes block = random_bytes(300, 3);
  for (int k = 0; k < 20; ++k) msg.insert(msg.end(), block.begin(), block.end());
  const Bytes near = random_bytes(200, 4);
  for (int k = 0; k < 20; ++k) msg.insert(msg.end(), near.begin(), near.end());
  MessageDeflater d({8, false}, {9, 9}, {});
  MessageInflater strict({8, false}, {});  // a peer's inflater with a 256-byte window
  InflateStatus st;
  const Bytes c = compress(d, msg);
  EXPECT_EQ(inflate(strict, c, &st), msg);
  EXPECT_NE(st, InflateStatus::BadData);
  EXPECT_LT(c.size(), msg.size()) << "the 200-byte repeats were still found";
}

TEST(DeflateStream, distance_beyond_the_agreed_window_is_bad_data) {
  Bytes msg;
  const Bytes block = random_bytes(2000, 5);
  for (int k = 0; k < 3; ++k) msg.insert(msg.end(), block.begin(), block.end());
  MessageDeflater wide({15, false}, {}, {});
  MessageInflater narrow({9, false}, {});
  InflateStatus st;
  inflate(narrow, compress(wide, msg), &st);
  EXPECT_EQ(st, InflateStatus::BadData);
}

TEST(DeflateStream, garbage_is_bad_data) {
  MessageInflater i({15, false}, {});
  InflateStatus st;
  inflate(i, Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x00}, &st);
  EXPECT_EQ(st, InflateStatus::BadData);
}

TEST(DeflateStream, bfinal_block_ends_the_stream_and_data_after_it_is_bad) {
  // "Hello" in one fixed-Huffman block with BFINAL=1 (RFC 7692 7.2.3.4's example bytes).
  const Bytes hello = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  MessageInflater i({15, false}, {});
  InflateStatus st;
  EXPECT_EQ(inflate(i, hello, &st), (Bytes{'H', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(st, InflateStatus::StreamEnd);
  // The next message starts a fresh stream.
  MessageDeflater d({15, true}, {}, {});
  const Bytes msg = json_like(100, 9);
  EXPECT_EQ(inflate(i, compress(d, msg)), msg);
  // Bytes after the final block within one message.
  Bytes trailing = hello;
  trailing.push_back(0x42);
  inflate(i, trailing, &st);
  EXPECT_EQ(st, InflateStatus::BadData);
}

TEST(DeflateStream, takeover_streams_live_on_the_connection_resource_and_stay) {
  CountingResource conn, msg;
  MessageDeflater d({15, false}, {}, {&conn, &msg});
  MessageInflater i({15, false}, {&conn, &msg});
  EXPECT_EQ(conn.allocations, 0u) << "nothing before the first message";
  inflate(i, compress(d, json_like(4000, 1)));
  const size_t after_first = conn.allocations;
  EXPECT_GT(after_first, 0u);
  EXPECT_EQ(d.life(), StreamLife::Connection);
  EXPECT_EQ(i.life(), StreamLife::Connection);
  for (int m = 0; m < 10; ++m) inflate(i, compress(d, json_like(4000, m)));
  EXPECT_EQ(conn.allocations, after_first) << "no allocation per message in steady state";
  EXPECT_EQ(msg.allocations, 0u);
  EXPECT_EQ(conn.live_bytes, d.live_bytes() + i.live_bytes());
}

TEST(DeflateStream, without_takeover_a_whole_message_is_served_from_the_message_resource_and_freed) {
  CountingResource conn, msg;
  MessageDeflater d({15, true}, {}, {&conn, &msg});
  MessageInflater i({15, true}, {&conn, &msg});
  for (int m = 0; m < 3; ++m) {
    inflate(i, compress(d, json_like(4000, m)));
    EXPECT_EQ(msg.live_bytes, 0u) << "every message's zlib state is given back within its call";
    EXPECT_EQ(d.life(), StreamLife::None);
    EXPECT_EQ(i.life(), StreamLife::None);
  }
  EXPECT_GT(msg.allocations, 0u);
  EXPECT_EQ(conn.allocations, 0u) << "an idle connection without takeover holds no zlib state";
}

TEST(DeflateStream, without_takeover_a_split_message_uses_one_kept_connection_stream) {
  CountingResource conn, msg;
  MessageDeflater d({15, true}, {}, {});
  MessageInflater i({15, true}, {&conn, &msg});
  for (int m = 0; m < 5; ++m) {
    const Bytes c = compress(d, json_like(4000, m));
    ASSERT_EQ(i.begin(/*whole=*/false), InflateStatus::Ok);
    std::span<const uint8_t> in(c);
    Bytes out(8000);
    size_t n = 0;
    EXPECT_EQ(i.step(in, out, n), InflateStatus::Ok);
    std::span<const uint8_t> tail(kDeflateTail);
    size_t n2 = 0;
    EXPECT_EQ(i.step(tail, std::span<uint8_t>(out).subspan(n), n2), InflateStatus::Ok);
    EXPECT_EQ(n + n2, 4000u);
    i.end();
  }
  EXPECT_EQ(i.life(), StreamLife::Connection);
  EXPECT_EQ(conn.allocations, 2u) << "state + window, once: reset per message, not reallocated";
  EXPECT_EQ(msg.allocations, 0u);
}

TEST(DeflateStream, refused_memory_is_no_memory_not_an_exception) {
  CountingResource refuse(true);
  MessageDeflater d({15, false}, {}, {&refuse, &refuse});
  Bytes out(MessageDeflater::bound(100));
  size_t produced = 0;
  EXPECT_EQ(d.compress(json_like(100, 1), out, produced), DeflateStatus::NoMemory);
  MessageInflater i({15, false}, {&refuse, &refuse});
  EXPECT_EQ(i.begin(true), InflateStatus::NoMemory);
}

TEST(DeflateStream, zlib_memory_sizes_match_the_documented_figures) {
  CountingResource r;
  MessageDeflater d({15, false}, {6, 8}, {&r, &r});
  MessageInflater i({15, false}, {&r, &r});
  inflate(i, compress(d, json_like(1000, 1)));
  EXPECT_GT(d.live_bytes(), 256u << 10);
  EXPECT_LT(d.live_bytes(), 272u << 10);
  EXPECT_GT(i.live_bytes(), 36u << 10);
  EXPECT_LT(i.live_bytes(), 44u << 10);
  MessageDeflater small({9, false}, {6, 1}, {&r, &r});
  compress(small, json_like(1000, 1));
  EXPECT_LT(small.live_bytes(), 12u << 10) << "window 9, memLevel 1: a few KiB";
}

TEST(DeflateStream, counters_add_up) {
  MessageDeflater d({15, false}, {}, {});
  MessageInflater i({15, false}, {});
  const Bytes a = json_like(1000, 1), b = json_like(500, 2);
  const Bytes ca = compress(d, a), cb = compress(d, b);
  inflate(i, ca);
  inflate(i, cb);
  EXPECT_EQ(d.messages(), 2u);
  EXPECT_EQ(d.bytes_in(), 1500u);
  EXPECT_EQ(d.bytes_out(), ca.size() + cb.size());
  EXPECT_EQ(i.bytes_out(), 1500u);
  EXPECT_EQ(i.bytes_in(), ca.size() + cb.size()) << "the appended tails are not wire bytes";
}

}  // namespace
}  // namespace wsalloc::core
