// Fuzz target: the incremental frame parser (core/protocol.hpp), against the whole-buffer
// reference reader (reference_frames.hpp).
//
// Input (fuzz_plan.hpp): flags bit 0 = role (0 server: frames must be masked, 1 client);
// bits 1-2 = max_message (16 MiB default, 0 = unlimited, 8, 300); the cuts split the body into reads.
// The body is parsed three times: in one feed, in the planned reads (each in its own exact-size
// heap buffer, so an over-read is an ASan report), and one byte per feed. Each run must satisfy the
// sink contract (checking_sink.hpp), keep state()/message_open() consistent with what was reported,
// and produce exactly the reference's message-level outcome: same messages, controls, close or
// error code, same bytes of a message left open. Equal outcomes across runs is the "result does not
// depend on how the input is split" property.
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

template <core::Role R>
class Run {
 public:
  explicit Run(uint64_t max_message) : parser_(sink_, {.max_message = max_message}) {}

  // Feeds one read from its own heap buffer of exactly its size.
  void feed_copy(std::span<const uint8_t> read) {
    auto buf = std::make_unique<uint8_t[]>(read.size());
    if (!read.empty()) std::memcpy(buf.get(), read.data(), read.size());
    feed({buf.get(), read.size()});
  }

  void feed(std::span<uint8_t> read) {
    sink_.set_feed_buffer(read.data(), read.size());
    const core::ParserState returned = parser_.feed(read);
    const core::ParserState state = parser_.state();
    FUZZ_CHECK(returned == state, "feed() returned state {} but state() is {}", static_cast<int>(returned),
               static_cast<int>(state));
    const core::ParserState expected = sink_.failed()   ? core::ParserState::Failed
                                       : sink_.closed() ? core::ParserState::CloseReceived
                                                        : core::ParserState::Open;
    FUZZ_CHECK(state == expected, "state {} after a feed, but the sink saw {} events ending in {}",
               static_cast<int>(state), sink_.outcome.events.size(),
               sink_.outcome.events.empty() ? std::string("nothing") : describe(sink_.outcome.events.back()));
    if (state == core::ParserState::Open && sink_.message_open()) {
      FUZZ_CHECK(parser_.message_open(), "message_open() false while a delivered message has no message_end");
    }
  }

  Outcome finish() { return sink_.finish(); }
  void reset() {
    parser_.reset();
    sink_ = CheckingSink{};
  }

 private:
  CheckingSink sink_;
  core::ProtocolParser<R, CheckingSink> parser_;
};

void expect_same(const Outcome& got, const Outcome& want, const char* how) {
  FUZZ_CHECK(got == want, "{}: parser gave {}\n  reference gave {}\n  first difference: {}", how, describe(got),
             describe(want), first_difference(got, want));
}

template <core::Role R>
void fuzz_role(const FuzzPlan& plan, uint64_t max_message) {
  const Outcome want = reference_parse(plan.body, R == core::Role::Server, max_message);

  Run<R> run(max_message);
  run.feed_copy(plan.body);
  expect_same(run.finish(), want, "one feed");

  run.reset();  // the split run reuses the parser: reset() must give a fresh connection
  for (std::span<const uint8_t> read : plan.reads()) run.feed_copy(read);
  expect_same(run.finish(), want, "planned reads");

  Run<R> bytewise(max_message);
  std::vector<uint8_t> copy(plan.body.begin(), plan.body.end());
  for (size_t i = 0; i < copy.size(); ++i) bytewise.feed({copy.data() + i, 1});
  expect_same(bytewise.finish(), want, "one byte per feed");
}

}  // namespace
}  // namespace wsalloc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wsalloc;
  const fuzz::FuzzPlan plan(data, size);
  const uint64_t max_message = fuzz::kMaxMessageChoices[(plan.flags >> 1) & 3];
  if (plan.flags & 1) {
    fuzz::fuzz_role<core::Role::Client>(plan, max_message);
  } else {
    fuzz::fuzz_role<core::Role::Server>(plan, max_message);
  }
  return 0;
}
