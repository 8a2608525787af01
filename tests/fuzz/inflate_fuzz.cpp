// Fuzz target: the frame parser with permessage-deflate agreed (core/protocol.hpp + the
// MessageInflater of core/deflate_stream.hpp), against the whole-buffer reference reader with its
// own zlib-based inflater (reference_frames.hpp, reference_inflate.hpp).
//
// Input (fuzz_plan.hpp), flags:
//   bit 0     role (0 server: frames must be masked, 1 client)
//   bits 1-2  max_message: 16 MiB default, 0 = unlimited, 8, 300 (the inflated size is held to it)
//   bits 3-4  the peer's window bits: 15, 8, 9, 12 (a distance beyond it is bad data)
//   bit 5     no context takeover (the inflater starts every message empty)
//   bits 6-7  inflate window: 1, 7, 64, 65536 bytes (how the inflated output is cut into chunks)
// The body is parsed in one feed, in the planned reads (each its own exact-size heap buffer), and
// one byte per feed; each run must keep the sink contract (checking_sink.hpp) and give exactly the
// reference's outcome: same messages (inflated), controls, close or error code, and the same
// inflated bytes of a message left open. The seeds (make_corpus.py) hold real compressed messages
// from Python's zlib, so mutations start from valid DEFLATE streams.
#include "checking_sink.hpp"

#include <cstring>
#include <memory>
#include <vector>

#include "core/protocol.hpp"
#include "fuzz_plan.hpp"
#include "reference_frames.hpp"

namespace wsalloc::fuzz {
namespace {

constexpr uint64_t kMaxMessageChoices[4] = {core::ProtocolLimits{}.max_message, 0, 8, 300};
constexpr uint8_t kWindowBitsChoices[4] = {15, 8, 9, 12};
constexpr size_t kInflateWindowChoices[4] = {1, 7, 64, 65536};

struct Settings {
  uint64_t max_message;
  core::DeflateParams peer;
  size_t inflate_window;
};

template <core::Role R>
class Run {
 public:
  explicit Run(const Settings& s)
      : inflater_(s.peer, {}), window_(s.inflate_window), parser_(sink_, {.max_message = s.max_message}) {
    parser_.set_inflater(&inflater_, window_);
    sink_.set_inflate_window(window_.data(), window_.size());
  }

  void feed_copy(std::span<const uint8_t> read) {
    auto buf = std::make_unique<uint8_t[]>(read.size());
    if (!read.empty()) std::memcpy(buf.get(), read.data(), read.size());
    feed({buf.get(), read.size()});
  }

  void feed(std::span<uint8_t> read) {
    sink_.set_feed_buffer(read.data(), read.size());
    const core::ParserState state = parser_.feed(read);
    const core::ParserState expected = sink_.failed()   ? core::ParserState::Failed
                                       : sink_.closed() ? core::ParserState::CloseReceived
                                                        : core::ParserState::Open;
    FUZZ_CHECK(state == expected, "state {} after a feed, but the sink saw {} events", static_cast<int>(state),
               sink_.outcome.events.size());
    // What bounds memory: never more than one byte past the limit is inflated.
    if (parser_limits_max_ != 0) {
      FUZZ_CHECK(inflater_.bytes_out() <= total_allowed(), "inflated {} bytes: over max_message", inflater_.bytes_out());
    }
  }

  Outcome finish() { return sink_.finish(); }
  void set_limit_check(uint64_t max, uint64_t messages_bound) {
    parser_limits_max_ = max;
    messages_bound_ = messages_bound;
  }

 private:
  uint64_t total_allowed() const { return (parser_limits_max_ + 1) * messages_bound_; }

  CheckingSink sink_;
  core::MessageInflater inflater_;
  std::vector<uint8_t> window_;
  core::ProtocolParser<R, CheckingSink> parser_;
  uint64_t parser_limits_max_ = 0;
  uint64_t messages_bound_ = 0;
};

void expect_same(const Outcome& got, const Outcome& want, const char* how) {
  FUZZ_CHECK(got == want, "{}: parser gave {}\n  reference gave {}\n  first difference: {}", how, describe(got),
             describe(want), first_difference(got, want));
}

template <core::Role R>
void fuzz_role(const FuzzPlan& plan, const Settings& s) {
  const RefDeflate ref{true, s.peer.window_bits, !s.peer.no_context_takeover};
  const Outcome want = reference_parse(plan.body, R == core::Role::Server, s.max_message, ref);
  // Every frame header starts at most one message: the body's size bounds how many were inflated.
  const uint64_t messages_bound = plan.body.size() / 2 + 1;

  Run<R> whole(s);
  whole.set_limit_check(s.max_message, messages_bound);
  whole.feed_copy(plan.body);
  expect_same(whole.finish(), want, "one feed");

  Run<R> planned(s);
  for (std::span<const uint8_t> read : plan.reads()) planned.feed_copy(read);
  expect_same(planned.finish(), want, "planned reads");

  Run<R> bytewise(s);
  std::vector<uint8_t> copy(plan.body.begin(), plan.body.end());
  for (size_t i = 0; i < copy.size(); ++i) bytewise.feed({copy.data() + i, 1});
  expect_same(bytewise.finish(), want, "one byte per feed");
}

}  // namespace
}  // namespace wsalloc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wsalloc;
  const fuzz::FuzzPlan plan(data, size);
  const fuzz::Settings s{fuzz::kMaxMessageChoices[(plan.flags >> 1) & 3],
                         {fuzz::kWindowBitsChoices[(plan.flags >> 3) & 3], (plan.flags & 0x20) != 0},
                         fuzz::kInflateWindowChoices[plan.flags >> 6]};
  if (plan.flags & 1) {
    fuzz::fuzz_role<core::Role::Client>(plan, s);
  } else {
    fuzz::fuzz_role<core::Role::Server>(plan, s);
  }
  return 0;
}
