#pragma once
// replay_rig.hpp: one variant's Session fed a client stream in chosen reads, the way the socket
// transport feeds it (connection.hpp): each read in its own exact-size heap buffer, handed to
// on_bytes(), flushed, the plan's iteration ended, and only then the buffer reused: overwritten
// with 0xA5 and freed. A pipeline that keeps a view into a read past the flush that ends its event
// therefore writes 0xA5 bytes (and under ASan it is a heap-use-after-free report).
//
// The plan lives as long as the rig and serves every run, as a worker's plan serves every
// connection; each run is a new Session (a new connection) with its own writer.
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "variants/replier.hpp"
#include "variants/server_options.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"

namespace wsalloc::testing {

// One socket read the way the socket transport does it (connection.hpp): the bytes in their own
// exact-size heap buffer, on_bytes(), `before_flush` (a slow reader sets its budget), flush(),
// `after_flush(outcome)` (checks that must see the state before the iteration ends), the plan's
// iteration ended, and only then the buffer overwritten with 0xA5 and freed. Shared by ReplayRig
// and the session fuzzer (tests/fuzz/session_fuzz.cpp), so both hold pipelines to the same rule.
template <class SessionT, class Plan, class BeforeFlush, class AfterFlush>
variants::Next read_as_socket(SessionT& session, Plan& plan, std::span<const uint8_t> bytes, BeforeFlush&& before_flush,
                              AfterFlush&& after_flush) {
  auto buf = std::make_unique<uint8_t[]>(bytes.size());
  std::memcpy(buf.get(), bytes.data(), bytes.size());
  const variants::Next next = session.on_bytes({buf.get(), bytes.size()});
  before_flush();
  after_flush(session.flush());
  plan.after_iteration();
  std::memset(buf.get(), 0xA5, bytes.size());  // the receive buffer's next read
  asm volatile("" : : "r"(buf.get()) : "memory");  // keep the store: the buffer is freed next
  return next;
}

struct ReplayResult {
  std::string out;                  // every byte the server wrote, HTTP response included
  variants::SessionPhase phase{};   // after the last read
  bool operator==(const ReplayResult&) const = default;
};

template <class Variant>
class ReplayRig {
 public:
  using Pipeline = typename Variant::Pipeline;
  using SessionT = variants::Session<Pipeline, variants::EchoApp>;

  explicit ReplayRig(const variants::SessionLimits& limits, variants::Allocator allocator = variants::Allocator::Variant)
      : limits_(limits) {
    options_.allocator = allocator;
    options_.limits = limits;
    plan_ = Variant::make_plan(options_);
  }

  // Feeds `stream` as reads ending at each of `cuts` (ascending, each in (0, size)) and at the
  // end. writer_budget: bytes the peer takes per flush (a slow reader); the rest waits in the
  // backlog and is drained after the last read, when the peer reads everything.
  // expected_out: room to reserve for the output (growing a 16 MiB string costs more than the feed).
  ReplayResult run(const std::string& stream, std::span<const size_t> cuts, size_t writer_budget = SIZE_MAX,
                   size_t expected_out = 0) {
    variants::ThrottledWriter writer(writer_budget);
    writer.out.reserve(expected_out);
    auto session = std::make_unique<SessionT>(*plan_, writer, app_, limits_, &stats_);
    size_t from = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
      const size_t to = i < cuts.size() ? cuts[i] : stream.size();
      if (to > from) read(*session, writer, stream.data() + from, to - from, writer_budget);
      from = to;
    }
    writer.set_budget(SIZE_MAX);
    if (session->flush() != variants::WriteOutcome::Flushed || session->unsent_bytes() != 0)
      writer.out += "\n[replay: the backlog did not drain]";
    plan_->after_iteration();
    ReplayResult r{std::move(writer.out), session->phase()};
    session.reset();
    plan_->after_iteration();
    return r;
  }

 private:
  void read(SessionT& session, variants::ThrottledWriter& writer, const char* bytes, size_t n, size_t budget) {
    read_as_socket(
        session, *plan_, {reinterpret_cast<const uint8_t*>(bytes), n}, [&] { writer.set_budget(budget); },
        [&](variants::WriteOutcome out) {
          if (out == variants::WriteOutcome::Failed) writer.out += "\n[replay: flush failed]";
        });
  }

  variants::ServerOptions options_;
  variants::SessionLimits limits_;
  std::unique_ptr<typename Pipeline::Plan> plan_;
  variants::EchoApp app_;
  variants::StatsSource stats_ = [] { return std::string(R"({"replay":true})"); };
};

}  // namespace wsalloc::testing
