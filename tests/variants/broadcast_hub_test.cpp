#include "variants/broadcast_hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace wsalloc::variants {
namespace {

constexpr size_t kSmallRing = 4096;

std::string message(unsigned from, size_t i) {
  // Sizes from 1 to ~300 bytes, so records wrap at every offset of a small ring.
  return std::to_string(from) + ":" + std::to_string(i) + ":" + std::string(i % 300, static_cast<char>('a' + i % 26));
}

void publish(BroadcastHub& hub, unsigned t, const std::string& m, std::function<void()> inbound = [] {}) {
  const iovec frame[2] = {{const_cast<char*>(m.data()), m.size() / 2}, {const_cast<char*>(m.data()) + m.size() / 2, m.size() - m.size() / 2}};
  hub.publish(t, frame, inbound);
}

std::vector<std::string> drain(BroadcastHub& hub, unsigned t) {
  std::vector<std::string> got;
  hub.drain(t, [&](std::span<const uint8_t> f) { got.emplace_back(reinterpret_cast<const char*>(f.data()), f.size()); });
  return got;
}

TEST(BroadcastHub, every_other_thread_reads_each_message_once_in_order_across_wraps) {
  BroadcastHub hub(3, kSmallRing);
  std::vector<std::string> sent, got1, got2;
  for (size_t i = 0; i < 2000; ++i) {
    sent.push_back(message(0, i));
    publish(hub, 0, sent.back());
    if (i % 7 == 0) {  // readers at different paces, both well inside one ring
      for (auto& m : drain(hub, 1)) got1.push_back(m);
    }
    if (i % 5 == 0) {
      for (auto& m : drain(hub, 2)) got2.push_back(m);
    }
  }
  for (auto& m : drain(hub, 1)) got1.push_back(m);
  for (auto& m : drain(hub, 2)) got2.push_back(m);
  EXPECT_EQ(got1, sent);
  EXPECT_EQ(got2, sent);
  EXPECT_TRUE(drain(hub, 0).empty()) << "a thread never reads its own messages";
}

TEST(BroadcastHub, a_message_above_a_quarter_ring_travels_in_its_own_block_and_keeps_its_place) {
  BroadcastHub hub(2, kSmallRing);
  const std::string big(3 * kSmallRing, 'Z');
  publish(hub, 0, "before");
  publish(hub, 0, big);
  publish(hub, 0, "after");
  EXPECT_EQ(drain(hub, 1), (std::vector<std::string>{"before", big, "after"}));
  EXPECT_NE(hub.stats_json(0).find("\"shared_frames\":1"), std::string::npos) << hub.stats_json(0);
  publish(hub, 0, big);  // still referenced when the hub goes: the destructor frees it (ASan checks)
}

TEST(BroadcastHub, a_full_ring_makes_the_publisher_wait_until_the_reader_catches_up) {
  BroadcastHub hub(2, kSmallRing);
  std::atomic<bool> done{false};
  std::vector<std::string> got;
  std::thread reader([&] {
    while (!done.load()) {
      for (auto& m : drain(hub, 1)) got.push_back(m);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (auto& m : drain(hub, 1)) got.push_back(m);
  });
  std::vector<std::string> sent;
  for (size_t i = 0; i < 3000; ++i) {
    sent.push_back(message(0, i));
    publish(hub, 0, sent.back());
  }
  done = true;
  reader.join();
  EXPECT_EQ(got, sent);
  EXPECT_EQ(hub.stats_json(0).find("\"waits\":0,"), std::string::npos) << "the ring never filled: the test proves nothing";
}

// Two threads publishing to each other with full rings: each drains its inbound while it waits,
// so neither waits for the other forever. As in the server, a thread that has nothing more to
// publish goes on draining (its poller loop keeps running) until the other is done too.
TEST(BroadcastHub, two_threads_publishing_to_each_other_never_deadlock) {
  BroadcastHub hub(2, kSmallRing);
  std::vector<std::string> got[2], sent[2];
  std::atomic<int> finished{0};
  auto side = [&](unsigned t) {
    auto take_inbound = [&] {
      for (auto& m : drain(hub, t)) got[t].push_back(m);
    };
    for (size_t i = 0; i < 3000; ++i) {
      sent[t].push_back(message(t, i));
      publish(hub, t, sent[t].back(), take_inbound);
    }
    ++finished;
    while (finished.load() < 2) {
      take_inbound();
      std::this_thread::yield();
    }
    take_inbound();
  };
  auto a = std::async(std::launch::async, side, 0u);
  auto b = std::async(std::launch::async, side, 1u);
  for (auto* f : {&a, &b}) {
    if (f->wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      // The future's destructor would wait forever: fail loudly instead of hanging the suite.
      std::fprintf(stderr, "two_threads_publishing_to_each_other_never_deadlock: deadlock (60 s)\n");
      std::_Exit(1);
    }
  }
  EXPECT_EQ(got[0], sent[1]);
  EXPECT_EQ(got[1], sent[0]);
  const bool filled = hub.stats_json(0).find("\"waits\":0,") == std::string::npos ||
                      hub.stats_json(1).find("\"waits\":0,") == std::string::npos;
  EXPECT_TRUE(filled) << "no ring ever filled: the test proves nothing";
}

TEST(BroadcastHub, a_detached_thread_is_neither_waited_for_nor_woken) {
  BroadcastHub hub(2, kSmallRing);
  int wakes = 0;
  hub.attach(1, [&] { ++wakes; });
  hub.detach(1);
  for (size_t i = 0; i < 1000; ++i) publish(hub, 0, message(0, i));  // 1000 x ~150 B >> 4 KiB: would wait
  EXPECT_EQ(wakes, 0);
}

TEST(BroadcastHub, a_reader_is_woken_once_until_its_wake_up_runs) {
  BroadcastHub hub(2, kSmallRing);
  int wakes = 0;
  hub.attach(1, [&] { ++wakes; });
  publish(hub, 0, "one");
  publish(hub, 0, "two");
  EXPECT_EQ(wakes, 1);
  hub.woken(1);
  EXPECT_EQ(drain(hub, 1), (std::vector<std::string>{"one", "two"}));
  publish(hub, 0, "three");
  EXPECT_EQ(wakes, 2);
}

TEST(BroadcastHub, refuses_a_ring_that_is_not_a_power_of_two) {
  EXPECT_THROW(BroadcastHub(2, 5000), std::invalid_argument);
  EXPECT_THROW(BroadcastHub(2, 1024), std::invalid_argument);
  EXPECT_THROW(BroadcastHub(0), std::invalid_argument);
}

}  // namespace
}  // namespace wsalloc::variants
