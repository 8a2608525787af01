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
    auto buf = std::make_unique<uint8_t[]>(n);
    std::memcpy(buf.get(), bytes, n);
    session.on_bytes({buf.get(), n});
    writer.set_budget(budget);
    if (session.flush() == variants::WriteOutcome::Failed) writer.out += "\n[replay: flush failed]";
    plan_->after_iteration();
    std::memset(buf.get(), 0xA5, n);  // the receive buffer's next read
    asm volatile("" : : "r"(buf.get()) : "memory");  // keep the store: the buffer is freed next
  }

  variants::ServerOptions options_;
  variants::SessionLimits limits_;
  std::unique_ptr<typename Pipeline::Plan> plan_;
  variants::EchoApp app_;
  variants::StatsSource stats_ = [] { return std::string(R"({"replay":true})"); };
};

}  // namespace wsalloc::testing
