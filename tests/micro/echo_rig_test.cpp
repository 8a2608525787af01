#include "micro/echo_rig.hpp"

#include <gtest/gtest.h>

namespace wsalloc::micro {
namespace {

template <class Variant>
class EchoRigTest : public ::testing::Test {};
using AllVariants = ::testing::Types<variants::MallocVariant, variants::ArenaVariant, variants::PoolVariant,
                                     variants::ZeroCopyVariant>;
TYPED_TEST_SUITE(EchoRigTest, AllVariants);

TYPED_TEST(EchoRigTest, opens_the_session_with_the_upgrade_request) {
  EchoRig<TypeParam> rig(64);
  EXPECT_EQ(rig.phase(), variants::SessionPhase::Open);
  EXPECT_GT(rig.bytes_written(), 0u) << "the 101 response";
}

// Every feed of every shape writes back exactly one echo frame: what the benchmarks divide by.
TYPED_TEST(EchoRigTest, every_feed_echoes_one_message_of_every_shape) {
  for (EchoShape shape : kEchoShapes) {
    const EchoMessage m = build_echo_message(shape);
    EchoRig<TypeParam> rig(m.wire.size());
    for (int i = 0; i < 5; ++i) {
      const uint64_t before = rig.bytes_written();
      rig.feed(m.wire);
      EXPECT_EQ(rig.bytes_written() - before, m.reply_bytes) << shape_name(shape) << " feed " << i;
    }
    EXPECT_EQ(rig.phase(), variants::SessionPhase::Open) << shape_name(shape);
  }
}

// load() + process() is feed() split where wsalloc-instr stops counting.
TYPED_TEST(EchoRigTest, load_then_process_is_a_feed) {
  const EchoMessage m = build_echo_message(EchoShape::Binary32);
  EchoRig<TypeParam> rig(m.wire.size());
  const uint64_t before = rig.bytes_written();
  rig.load(m.wire);
  EXPECT_EQ(rig.bytes_written(), before) << "load() only fills the receive buffer";
  rig.process();
  EXPECT_EQ(rig.bytes_written() - before, m.reply_bytes);
}

TEST(EchoRig, a_read_larger_than_the_receive_buffer_aborts) {
  EXPECT_DEATH(
      {
        EchoRig<variants::ZeroCopyVariant> rig(300);
        rig.feed(std::string(400, 'x'));
      },
      "receive buffer");
}

TEST(EchoRig, for_each_variant_visits_the_four_in_report_order) {
  std::string names;
  for_each_variant([&]<class V>() { names += std::string(V::kName) + " "; });
  EXPECT_EQ(names, "malloc arena pool zerocopy ");
}

}  // namespace
}  // namespace wsalloc::micro
