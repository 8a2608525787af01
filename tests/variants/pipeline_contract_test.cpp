// The pipeline contract (pipeline.hpp, server_variant.hpp) is what the compiler checks: both
// pipelines and all four variants meet it, and a pipeline missing a member does not.
#include "variants/pipeline.hpp"

#include <gtest/gtest.h>

#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/server_variant.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"

namespace wsalloc::variants {
namespace {

// PmrPipeline's face without send_now (a pipeline that could not take part in fan-out).
struct NoFanOut final : Replier, core::InflaterSource {
  using Plan = MemoryPlan;
  NoFanOut(MemoryPlan&, Writer&) {}
  void begin_event(std::span<const uint8_t>) noexcept {}
  template <class App>
  void on_data(App&, core::Opcode, std::span<uint8_t>, bool, bool) {}
  void send(core::Opcode, std::span<const uint8_t>) override {}
  void send_raw(std::span<const uint8_t>) {}
  WriteOutcome flush() { return WriteOutcome::Flushed; }
  size_t unsent_bytes() const noexcept { return 0; }
  size_t trim_idle() { return 0; }
  void agree_deflate(const core::DeflateAgreement&, const core::DeflateSettings&) noexcept {}
  core::MessageInflater* get_inflater() noexcept override { return nullptr; }
  std::span<uint8_t> inflate_window() { return {}; }
  const ConnectionDeflate* deflate() const noexcept { return nullptr; }
};

// The same with send_now: the probe itself is not what fails.
struct WithFanOut final : Replier, core::InflaterSource {
  using Plan = MemoryPlan;
  WithFanOut(MemoryPlan&, Writer&) {}
  void begin_event(std::span<const uint8_t>) noexcept {}
  template <class App>
  void on_data(App&, core::Opcode, std::span<uint8_t>, bool, bool) {}
  void send(core::Opcode, std::span<const uint8_t>) override {}
  void send_raw(std::span<const uint8_t>) {}
  WriteOutcome flush() { return WriteOutcome::Flushed; }
  WriteOutcome send_now(std::span<const iovec>) { return WriteOutcome::Flushed; }
  size_t unsent_bytes() const noexcept { return 0; }
  size_t trim_idle() { return 0; }
  void agree_deflate(const core::DeflateAgreement&, const core::DeflateSettings&) noexcept {}
  core::MessageInflater* get_inflater() noexcept override { return nullptr; }
  std::span<uint8_t> inflate_window() { return {}; }
  const ConnectionDeflate* deflate() const noexcept { return nullptr; }
};

TEST(PipelineContract, both_pipelines_and_every_variant_meet_it) {
  EXPECT_TRUE(MessagePipeline<PmrPipeline>);
  EXPECT_TRUE(MessagePipeline<ZeroCopyPipeline>);
  EXPECT_TRUE(PipelinePlan<MemoryPlan>);
  EXPECT_TRUE(PipelinePlan<ZeroCopyLoop>);
  EXPECT_TRUE(ServerVariant<MallocVariant>);
  EXPECT_TRUE(ServerVariant<ArenaVariant>);
  EXPECT_TRUE(ServerVariant<PoolVariant>);
  EXPECT_TRUE(ServerVariant<ZeroCopyVariant>);
}

TEST(PipelineContract, a_pipeline_missing_a_member_does_not) {
  EXPECT_TRUE(MessagePipeline<WithFanOut>);
  EXPECT_FALSE(MessagePipeline<NoFanOut>);
  EXPECT_FALSE(MessagePipeline<int>);
}

}  // namespace
}  // namespace wsalloc::variants
