#include "net/epoll_backend.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "net/io_handler.hpp"
#include "test_support.hpp"

namespace wsalloc::net {
namespace {

using test::SocketPair;

TEST(EpollBackend, wait_reports_readable_fd_with_its_token) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kReadable, 0xABCD'0000'0000'0007ull);
  sp.send_byte_to_a();
  auto ready = be.wait(1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].token, 0xABCD'0000'0000'0007ull);
  EXPECT_EQ(ready[0].events, uint32_t{kReadable});
}

TEST(EpollBackend, wait_with_zero_timeout_returns_nothing_when_idle) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kReadable, 1);
  EXPECT_TRUE(be.wait(0).empty());
}

TEST(EpollBackend, level_triggered_reports_again_until_drained) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kReadable, 1);
  sp.send_byte_to_a();
  EXPECT_EQ(be.wait(1000).size(), 1u);
  EXPECT_EQ(be.wait(0).size(), 1u) << "not drained: level-triggered reports it again";
  char c;
  ASSERT_EQ(::read(sp.a, &c, 1), 1);
  EXPECT_TRUE(be.wait(0).empty());
}

TEST(EpollBackend, rewatch_to_writable_reports_writable_only) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, 0, 1);
  EXPECT_TRUE(be.wait(0).empty()) << "interest 0: nothing but hang-ups and errors";
  be.rewatch(sp.a, kWritable, 2);
  auto ready = be.wait(1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].token, 2u);
  EXPECT_EQ(ready[0].events, uint32_t{kWritable});
}

TEST(EpollBackend, peer_close_is_reported_as_readable_and_hangup) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kReadable, 1);
  ::close(sp.b);
  sp.b = -1;
  auto ready = be.wait(1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_TRUE(ready[0].events & kReadable);
  EXPECT_TRUE(ready[0].events & kHangup);
}

// A connection that paused reading (backpressure) asks for kPeerShut alone: the peer's FIN must
// reach it as kHangup although unread bytes sit ahead of the FIN, and without the FIN nothing.
TEST(EpollBackend, peer_shut_interest_reports_a_half_close_behind_unread_bytes) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kPeerShut, 1);
  sp.send_byte_to_a();
  EXPECT_TRUE(be.wait(0).empty()) << "unread bytes alone are not reported without kReadable";
  ASSERT_EQ(::shutdown(sp.b, SHUT_WR), 0);
  auto ready = be.wait(1000);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].events, uint32_t{kHangup});
}

TEST(EpollBackend, without_peer_shut_interest_a_half_close_is_not_reported) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, 0, 1);
  ASSERT_EQ(::shutdown(sp.b, SHUT_WR), 0);
  EXPECT_TRUE(be.wait(0).empty()) << "a flushing connection must not spin on the peer's half-close";
}

TEST(EpollBackend, watch_twice_throws_eexist_naming_the_call) {
  EpollBackend be(8);
  SocketPair sp;
  be.watch(sp.a, kReadable, 1);
  try {
    be.watch(sp.a, kReadable, 1);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EEXIST);
    EXPECT_NE(std::string(e.what()).find("epoll_ctl(ADD, fd="), std::string::npos) << e.what();
  }
}

TEST(EpollBackend, rewatch_of_unknown_fd_throws_enoent) {
  EpollBackend be(8);
  SocketPair sp;
  try {
    be.rewatch(sp.a, kReadable, 1);
    FAIL() << "expected std::system_error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST(EpollBackend, unwatch_tolerates_an_fd_already_closed_or_never_watched) {
  EpollBackend be(8);
  SocketPair sp;
  be.unwatch(sp.a);  // never watched: ENOENT, ignored
  be.watch(sp.a, kReadable, 1);
  sp.close_a();
  be.unwatch(123456);  // not open: EBADF, ignored
  SUCCEED();
}

TEST(EpollBackend, wait_returns_at_most_max_events) {
  EpollBackend be(2);
  SocketPair p1, p2, p3;
  for (auto* sp : {&p1, &p2, &p3}) {
    be.watch(sp->a, kReadable, static_cast<uint64_t>(sp->a));
    sp->send_byte_to_a();
  }
  EXPECT_EQ(be.wait(1000).size(), 2u);
}

}  // namespace
}  // namespace wsalloc::net
