#include "load/worker.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <thread>

#include "process.hpp"

namespace wsalloc::load {
namespace {

// A worker driven without the coordinator: connect, get released, finish by itself.
TEST(Worker, connection_refused_is_counted_and_the_worker_still_finishes) {
  Config cfg;
  cfg.port = test::closed_port();
  cfg.duration_s = 0.2;
  cfg.drain_s = 0.1;
  const PayloadCatalogue cat({32}, {}, PayloadKind::Binary);
  SharedState sh(cfg, cat);
  auto* in = reinterpret_cast<sockaddr_in*>(&sh.addr);
  in->sin_family = AF_INET;
  in->sin_port = htons(cfg.port);
  in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sh.addr_len = sizeof(sockaddr_in);
  Worker w(sh, 0, 1);
  w.add_connection(0, ConnRole::Echo);
  w.add_connection(1, ConnRole::Echo);
  std::thread t([&] { w.run(); });
  for (int i = 0; i < 500 && sh.setup_done.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(sh.setup_done.load(), 1u) << "set-up never settled";
  const uint64_t now = mono_ns();
  sh.window_start_ns = now;
  sh.window_end_ns = now + 200'000'000;
  sh.start_ns.store(now);
  sh.windows_released.store(1);  // the release: window 1
  w.wake();
  for (int i = 0; i < 500 && !w.finished.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(w.finished.load());
  if (!w.finished.load()) {  // do not hang the test binary on join()
    sh.abort.store(true);
    w.wake();
  }
  t.join();
  EXPECT_EQ(w.established, 0u);
  EXPECT_EQ(w.counters.errors.connect_failed, 2u);
  EXPECT_EQ(w.counters.messages, 0u);
  ASSERT_FALSE(w.first_errors.empty());
  EXPECT_NE(w.first_errors[0].find("refused"), std::string::npos) << w.first_errors[0];
}

}  // namespace
}  // namespace wsalloc::load
