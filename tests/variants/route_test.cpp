// Routing: the request path picks the application (server_app.hpp); /broadcast members get every
// other member's message, framed once, and stop getting them when they close.
#include "variants/server_app.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/frame.hpp"
#include "net/poller.hpp"

namespace wsalloc::variants {
namespace {

TEST(Route, path_picks_the_application_and_the_query_is_ignored) {
  EXPECT_EQ(route_for("/broadcast"), Route::Broadcast);
  EXPECT_EQ(route_for("/broadcast?room=1"), Route::Broadcast);
  EXPECT_EQ(route_for("/work"), Route::Work);
  EXPECT_EQ(route_for("/work?x"), Route::Work);
  EXPECT_EQ(route_for("/"), Route::Echo);
  EXPECT_EQ(route_for("/broadcasting"), Route::Echo) << "a prefix is not the route";
  EXPECT_EQ(route_for("/Broadcast"), Route::Echo) << "paths are case-sensitive";
}

// A connection as the application sees it: what it was delivered (fan-out) or sent later (/work).
struct FakeConn {
  std::vector<std::string> delivered;
  void deliver(std::span<const iovec> frame) {
    std::string bytes;
    for (const iovec& s : frame) bytes.append(static_cast<const char*>(s.iov_base), s.iov_len);
    delivered.push_back(bytes);
  }
  void send_later(core::Opcode, std::span<const uint8_t>) {}
};

// Echo's replies go to the Replier the pipeline passes.
struct RecordingReplier final : Replier {
  std::vector<std::string> sent;
  void send(core::Opcode, std::span<const uint8_t> payload) override {
    sent.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
};

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct AppRig {
  net::Poller poller;
  ServerOptions options;
  ServerApp<FakeConn> app{poller, options, nullptr, 0, nullptr};
  FakeConn conns[3];
  ServerApp<FakeConn>::ConnState states[3];
  void open(int i, std::string_view target) {
    states[i].owner = &conns[i];
    app.on_open(states[i], target);
  }
};

TEST(Route, echo_replies_to_the_sender_only) {
  AppRig rig;
  rig.open(0, "/");
  RecordingReplier r;
  rig.app.on_message(r, rig.states[0], core::Opcode::Text, bytes_of("hi"));
  ASSERT_EQ(r.sent.size(), 1u);
  EXPECT_EQ(r.sent[0], "hi");
  EXPECT_EQ(rig.app.broadcast_members(), 0u);
}

TEST(Route, broadcast_reaches_every_other_member_framed_and_not_the_publisher) {
  AppRig rig;
  for (int i = 0; i < 3; ++i) rig.open(i, "/broadcast");
  EXPECT_EQ(rig.app.broadcast_members(), 3u);
  RecordingReplier r;
  rig.app.on_message(r, rig.states[1], core::Opcode::Text, bytes_of("news"));
  EXPECT_TRUE(r.sent.empty()) << "nothing is echoed to the publisher";
  EXPECT_TRUE(rig.conns[1].delivered.empty());
  const std::string frame = std::string("\x81\x04", 2) + "news";  // FIN + text, unmasked, length 4
  for (int i : {0, 2}) {
    ASSERT_EQ(rig.conns[i].delivered.size(), 1u) << "member " << i;
    EXPECT_EQ(rig.conns[i].delivered[0], frame);
  }
}

TEST(Route, a_closed_member_gets_nothing_more_and_the_others_still_do) {
  AppRig rig;
  for (int i = 0; i < 3; ++i) rig.open(i, "/broadcast");
  rig.app.on_close(rig.states[0]);
  EXPECT_EQ(rig.app.broadcast_members(), 2u);
  RecordingReplier r;
  rig.app.on_message(r, rig.states[2], core::Opcode::Binary, bytes_of("x"));
  EXPECT_TRUE(rig.conns[0].delivered.empty());
  EXPECT_EQ(rig.conns[1].delivered.size(), 1u) << "the swap-remove kept the moved member reachable";
  rig.app.on_close(rig.states[1]);
  rig.app.on_close(rig.states[2]);
  EXPECT_EQ(rig.app.broadcast_members(), 0u);
}

}  // namespace
}  // namespace wsalloc::variants
