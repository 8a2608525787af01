#pragma once
// server_options.hpp: everything `wsalloc-server` can be told, with its defaults.
#include <chrono>
#include <cstdint>
#include <string>

#include "net/io_backend.hpp"
#include "variants/memory_plan.hpp"
#include "variants/session.hpp"

namespace wsalloc::variants {

struct ServerOptions {
  std::string variant = "malloc";
  std::string host = "127.0.0.1";
  uint16_t port = 9001;                 // 0 = the kernel picks a free port
  unsigned threads = 1;                 // pollers, each with its own SO_REUSEPORT listener
  net::IoBackend io = net::IoBackend::Epoll;  // --io; uring needs probe_uring().available
  // --uring-buffers COUNT:BYTES: the provided-buffer ring of each io_uring poller thread; 0 = the
  // backend's default (4 x 1 MiB with incremental consumption). Small rings are for tests: they
  // make receives end at buffer ends (split, joined and gathered frames) and run out (ENOBUFS).
  uint32_t uring_buffer_count = 0, uring_buffer_bytes = 0;
  // Open connections, all threads together; one more is answered 503 and closed. 0 = as many as
  // file descriptors allow (beyond that, the same polite refusal).
  size_t max_connections = 0;
  Allocator allocator = Allocator::Variant;
  SessionLimits limits;                 // max message 16 MiB, max header bytes 8 KiB
  // Backpressure: stop reading a connection whose unsent bytes pass high_water; resume under
  // low_water. High enough to hold one 1 MiB echo plus headers.
  size_t high_water = 2u << 20;
  size_t low_water = 512u << 10;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds idle_timeout{0};            // 0 = none
  // A connection with replies queued of which the peer took no byte for this long is reset: it
  // neither reads nor (its window being shut) can be heard, and would pin its backlog forever.
  std::chrono::milliseconds send_timeout{30'000};
  std::chrono::milliseconds close_linger{2'000};        // wait for the peer's FIN after our close
  std::chrono::milliseconds shutdown_grace{2'000};      // SIGTERM: time for close handshakes
  // A connection whose unsent bytes pass this is a slow consumer: closed with 1008. Reading stops at
  // high_water already, so only pushed traffic (broadcast) can get here.
  size_t max_backlog = 16u << 20;
  // /work: the handler's CPU cost and where it runs.
  std::chrono::microseconds work_cost{50};
  bool work_on_pool = false;       // false: inline on the poller thread, after the event batch
  unsigned work_threads = 1;       // thread-pool executor size
  std::string stats_out;                                // also write exit stats here ("" = stderr only)
};

}  // namespace wsalloc::variants
