// The boundary replay: every client stream the suites send (conformance, hardening, routes,
// interop clients; captured by capture_streams.py) and streams built around every size threshold
// of the server (threshold_streams.cpp), fed to every variant through the in-memory transport,
// split at every byte (2-way, streams up to kExhaustiveUpTo bytes) or, for longer streams, in and
// right behind the request, at structural edges and at seeded random points (2- and 3-way, as
// many as a byte budget per stream allows), and with a slow reader. Each feed
// must answer exactly what the same variant answers to the stream in one read, and the four
// variants must answer every stream alike. Regression: issue 13 (zerocopy echoed a frame that
// arrived behind a split request from freed memory).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "memory/tool_hooks.hpp"  // WSALLOC_ASAN
#include "replay_corpus.hpp"
#include "replay_rig.hpp"
#include "threshold_streams.hpp"
#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"

namespace wsalloc::testing {
namespace {

// Streams up to this size are split at every byte (2-way); a few KiB covers a request with small
// frames and the in-place reference size (2048) behind it.
constexpr size_t kExhaustiveUpTo = 4096;
// Longer streams get as many of these splits as kFeedBytes / size allows (at least kMinFeeds), in
// this order: (1) the request: cut in its middle, at its end and one byte after (the frames behind
// a split request: issue 13); (2) 3-way: a cut in the request and one in the first frame's
// payload; (3) cuts within kEdgeReach of each structural edge (frame header start and end,
// payload end), the first kFirstEdges edges first, then a seeded sample of the rest; (4) seeded
// random 2- and 3-way splits, kRandomSplits of each.
// Per stream and variant: bounds the time of large ones. Under ASan (make test-sanitizers, several
// times slower) a quarter: the priority order above keeps the request and edge cuts, which are what
// a use after free needs; the random tail is what goes.
#ifdef WSALLOC_ASAN
constexpr size_t kFeedBytes = 6u << 20;
#else
constexpr size_t kFeedBytes = 24u << 20;
#endif
struct SplitBudget {
  size_t exhaustive_up_to = kExhaustiveUpTo;
  size_t feed_bytes = kFeedBytes;
};
// Compressed streams cost far more per byte fed (zlib both ways; without context takeover the malloc
// variant makes a compressor per message): under ASan, where the deflate replay of the malloc variant
// alone ran past ctest's 600 s, streams of a server with --deflate are split exhaustively only up to
// 512 B and fed 1 MiB each.
#ifdef WSALLOC_ASAN
constexpr SplitBudget kDeflateBudget{512, 1u << 20};
#else
constexpr SplitBudget kDeflateBudget{};
#endif
constexpr size_t kMinFeeds = 3;
constexpr size_t kEdgeReach = 3;
constexpr size_t kFirstEdges = 16;
constexpr size_t kRandomSplits = 16;
constexpr size_t kSlowReaderBudget = 1000;  // bytes per flush for the slow-reader feeds
constexpr size_t kSlowReaderFeeds = 4;      // per stream at most, besides the unsplit one
constexpr int kMaxReportsPerStream = 3;

const std::filesystem::path kStreams = WSALLOC_REPLAY_STREAMS;

using Cuts = std::vector<size_t>;

uint64_t seed_of(const std::string& name) {
  uint64_t h = 1469598103934665603ull;
  for (char c : name) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

// The splits to try for one stream, in order of priority; each sorted, none twice.
std::vector<Cuts> split_plan(const ReplayStream& s, const SplitBudget& budget) {
  const size_t n = s.bytes.size();
  std::vector<Cuts> plan;
  if (n < 2) return plan;
  if (n <= budget.exhaustive_up_to) {
    for (size_t k = 1; k < n; ++k) plan.push_back({k});
    return plan;
  }
  const size_t max_feeds = std::max(kMinFeeds, budget.feed_bytes / n);
  std::set<Cuts> seen;
  auto add = [&](Cuts cuts) {
    std::erase_if(cuts, [&](size_t k) { return k == 0 || k >= n; });
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    if (!cuts.empty() && plan.size() < max_feeds && seen.insert(cuts).second) plan.push_back(cuts);
  };
  std::mt19937_64 rng(seed_of(s.name));
  auto any = [&] { return 1 + static_cast<size_t>(rng() % (n - 1)); };
  const std::vector<size_t>& at = s.landmarks;  // at[0]: the request's end; then frame edges
  if (!at.empty()) {
    add({at[0] / 2});
    add({at[0]});
    add({at[0] + 1});
  }
  if (at.size() >= 3) {
    add({at[0] / 2, (at[1] + at[2]) / 2});
    add({at[0] - 1, at[1] + 1});
  }
  std::vector<size_t> edges(at.begin() + std::min<ptrdiff_t>(1, static_cast<ptrdiff_t>(at.size())), at.end());
  if (edges.size() > kFirstEdges) std::shuffle(edges.begin() + kFirstEdges, edges.end(), rng);
  for (size_t e : edges)
    for (size_t k = e > kEdgeReach ? e - kEdgeReach : 1; k <= e + kEdgeReach; ++k) add({k});
  for (size_t i = 0; i < kRandomSplits; ++i) {
    add({any()});
    add({any(), any()});
  }
  return plan;
}

std::string show(const Cuts& cuts) {
  std::string s;
  for (size_t c : cuts) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

std::string first_difference(const ReplayResult& want, const ReplayResult& got) {
  const auto m = std::mismatch(want.out.begin(), want.out.end(), got.out.begin(), got.out.end());
  const size_t at = static_cast<size_t>(m.first - want.out.begin());
  char byte[64];
  std::snprintf(byte, sizeof byte, "unsplit 0x%02x, split 0x%02x",
                at < want.out.size() ? static_cast<uint8_t>(want.out[at]) : 0u,
                at < got.out.size() ? static_cast<uint8_t>(got.out[at]) : 0u);
  return "outputs of " + std::to_string(want.out.size()) + " and " + std::to_string(got.out.size()) +
         " B differ from byte " + std::to_string(at) + " (" + byte + "); phase " +
         std::to_string(static_cast<int>(want.phase)) + " vs " + std::to_string(static_cast<int>(got.phase));
}

struct Tally {
  size_t streams = 0, feeds = 0, bytes = 0;
};

// Replays every stream at every planned split, and a few with a slow reader; returns the counts.
template <class Variant>
Tally replay(const std::vector<ReplayStream>& streams, variants::Allocator allocator = variants::Allocator::Variant) {
  Tally t;
  for (const ReplayStream& s : streams) {
    ReplayRig<Variant> rig(s.limits, allocator);
    const ReplayResult want = rig.run(s.bytes, {});
    const std::vector<Cuts> plan = split_plan(s, s.limits.deflate.enabled ? kDeflateBudget : SplitBudget{});
    int reports = 0;
    auto check = [&](const Cuts& cuts, size_t budget) {
      const ReplayResult got = rig.run(s.bytes, cuts, budget, want.out.size());
      ++t.feeds;
      t.bytes += s.bytes.size();
      if (got == want || reports >= kMaxReportsPerStream) return;
      ++reports;
      ADD_FAILURE() << Variant::kName << " " << s.name << " (" << s.bytes.size() << " B) split at {" << show(cuts)
                    << "}" << (budget == SIZE_MAX ? "" : " with a slow reader") << ": " << first_difference(want, got);
    };
    for (const Cuts& cuts : plan) check(cuts, SIZE_MAX);
    // A slow reader: replies wait in the backlog, so references into a read must be copied in time.
    check({}, kSlowReaderBudget);
    const size_t slow = std::min(kSlowReaderFeeds, (plan.size() + 3) / 4);
    for (size_t i = 0; i < slow; ++i) check(plan[i * plan.size() / slow], kSlowReaderBudget);
    ++t.streams;
  }
  std::printf("replay %s: %zu streams, %zu split feeds, %.1f MiB fed\n", std::string(Variant::kName).c_str(),
              t.streams, t.feeds, static_cast<double>(t.bytes) / (1 << 20));
  return t;
}

template <class Variant>
class BoundaryReplay : public ::testing::Test {};
struct VariantName {
  template <class T>
  static std::string GetName(int) { return std::string(T::kName); }
};
using Variants = ::testing::Types<variants::MallocVariant, variants::ArenaVariant, variants::PoolVariant,
                                  variants::ZeroCopyVariant>;
TYPED_TEST_SUITE(BoundaryReplay, Variants, VariantName);

TYPED_TEST(BoundaryReplay, threshold_streams_answer_alike_at_every_split) {
  EXPECT_GT(replay<TypeParam>(threshold_streams()).feeds, 0u);
}
// The conformance streams in two tests: the deflate group costs as much as all the others (zlib on
// every feed; the malloc variant makes a compressor per message without context takeover), and one
// test of both went past ctest's 600 s timeout on a loaded machine.
bool is_deflate(const ReplayStream& s) { return s.name.starts_with("conformance/deflate"); }
TYPED_TEST(BoundaryReplay, conformance_streams_answer_alike_at_every_split) {
  auto streams = load_suite(kStreams, "conformance");
  std::erase_if(streams, is_deflate);
  EXPECT_GT(replay<TypeParam>(streams).feeds, 0u);
}
TYPED_TEST(BoundaryReplay, conformance_deflate_streams_answer_alike_at_every_split) {
  auto streams = load_suite(kStreams, "conformance");
  std::erase_if(streams, [](const ReplayStream& s) { return !is_deflate(s); });
  EXPECT_GT(replay<TypeParam>(streams).feeds, 0u);
}
TYPED_TEST(BoundaryReplay, hardening_streams_answer_alike_at_every_split) {
  EXPECT_GT(replay<TypeParam>(load_suite(kStreams, "hardening")).feeds, 0u);
}
TYPED_TEST(BoundaryReplay, route_and_interop_streams_answer_alike_at_every_split) {
  auto streams = load_suite(kStreams, "interop");
  auto routes = load_suite(kStreams, "routes");
  streams.insert(streams.end(), routes.begin(), routes.end());
  EXPECT_GT(replay<TypeParam>(streams).feeds, 0u);
}

// The fallback to standard allocators must not change a byte either (the streams up to 1 MiB:
// the larger ones take the same code paths, and cost the most).
TEST(BoundaryReplayStd, zerocopy_on_std_allocators_answers_alike_at_every_split) {
  std::vector<ReplayStream> streams = threshold_streams();
  std::erase_if(streams, [](const ReplayStream& s) { return s.bytes.size() > (1u << 20); });
  EXPECT_GT(replay<variants::ZeroCopyVariant>(streams, variants::Allocator::Standard).feeds, 0u);
}

// One memory strategy must not answer differently from another: unsplit, every variant's output
// is the malloc variant's.
TEST(BoundaryReplayVariants, every_variant_answers_every_stream_like_malloc) {
  std::vector<ReplayStream> all = threshold_streams();
  for (const char* suite : {"conformance", "hardening", "interop", "routes"}) {
    auto more = load_suite(kStreams, suite);
    all.insert(all.end(), more.begin(), more.end());
  }
  for (const ReplayStream& s : all) {
    const ReplayResult want = ReplayRig<variants::MallocVariant>(s.limits).run(s.bytes, {});
    const ReplayResult arena = ReplayRig<variants::ArenaVariant>(s.limits).run(s.bytes, {});
    const ReplayResult pool = ReplayRig<variants::PoolVariant>(s.limits).run(s.bytes, {});
    const ReplayResult zerocopy = ReplayRig<variants::ZeroCopyVariant>(s.limits).run(s.bytes, {});
    EXPECT_TRUE(arena == want) << "arena, " << s.name << ": " << first_difference(want, arena);
    EXPECT_TRUE(pool == want) << "pool, " << s.name << ": " << first_difference(want, pool);
    EXPECT_TRUE(zerocopy == want) << "zerocopy, " << s.name << ": " << first_difference(want, zerocopy);
  }
}

}  // namespace
}  // namespace wsalloc::testing
