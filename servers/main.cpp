// wsalloc-server: the RFC 6455 echo server in four memory variants.
//
//   wsalloc-server --variant {malloc,arena,pool,zerocopy} --host H --port P [--threads N] [--io epoll|uring]
//
// Prints one line "listening on H:P" when ready; exits 0 on SIGINT/SIGTERM after closing
// connections; a bad flag or value is a usage error (exit 2). Paths: /broadcast fans every
// message out to the other /broadcast connections; /work runs a fixed-cost handler on the chosen
// executor; every other path echoes. GET /stats answers the memory statistics as JSON.

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "net/fd_limit.hpp"
#include "net/io_backend.hpp"
#include "variants/server.hpp"

namespace {

using namespace wsalloc::variants;

// Values CLI11 reads as text or plain numbers, converted into ServerOptions after parsing.
struct RawFlags {
  std::string io = "epoll";
  std::string uring_buffers = "0:0";
  std::string allocator = "variant";
  std::string executor = "inline";
  long handshake_ms = 0, idle_ms = 0, send_ms = 0, work_us = 0;
  unsigned server_bits = 0, client_bits = 0;
};

// --uring-buffers COUNT:BYTES; "" when valid, else the reason (CLI11's validator contract).
std::string check_uring_buffers(const std::string& v) {
  unsigned long count = 0, bytes = 0;
  char tail = 0;
  if (std::sscanf(v.c_str(), "%lu:%lu%c", &count, &bytes, &tail) != 2) return "'" + v + "': expected COUNT:BYTES, e.g. 4:1048576";
  if (count == 0 && bytes == 0) return "";
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768)
    return "COUNT " + std::to_string(count) + " is not a power of two in 1..32768";
  if (bytes < 1024 || bytes > (1ul << 30)) return "BYTES " + std::to_string(bytes) + " outside 1024..1073741824";
  return "";
}

// What runs: variant, address, threads, I/O backend, allocator, connection cap.
void add_server_options(CLI::App& app, ServerOptions& o, RawFlags& f) {
  app.add_option("--variant", o.variant, "memory variant")
      ->check(CLI::IsMember({"malloc", "arena", "pool", "zerocopy"}));
  app.add_option("--host", o.host, "address to listen on (IPv4/IPv6 literal or localhost)");
  app.add_option("--port", o.port, "port; 0 picks a free one");
  app.add_option("--threads", o.threads, "poller threads (SO_REUSEPORT)")->check(CLI::Range(1u, 256u));
  app.add_option("--io", f.io, "I/O backend: 'epoll' (readiness) or 'uring' (io_uring completions; exits 2 where "
                               "io_uring is unavailable)")
      ->check(CLI::IsMember({"epoll", "uring"}));
  app.add_option("--uring-buffers", f.uring_buffers,
                 "COUNT:BYTES of each io_uring thread's receive-buffer ring (COUNT a power of two; 0:0 = "
                 "the default, 4:1048576); small rings are for tests")
      ->check(check_uring_buffers);
  app.add_option("--max-connections", o.max_connections,
                 "open connections, all threads together; beyond, 503 and close (0 = fd limit)");
  app.add_option("--allocator", f.allocator, "'std' forces standard allocators")
      ->check(CLI::IsMember({"variant", "std"}));
}

// Limits and timeouts, the /work handler, the statistics file.
void add_limit_options(CLI::App& app, ServerOptions& o, RawFlags& f) {
  app.add_option("--max-message", o.limits.protocol.max_message,
                 "largest message in bytes (1009 beyond; 0 = unlimited)");
  app.add_option("--max-header", o.limits.handshake.max_header_bytes, "largest HTTP request head (431 beyond)")
      ->check(CLI::Range(size_t{256}, size_t{1} << 20));
  f.handshake_ms = o.handshake_timeout.count();
  f.idle_ms = o.idle_timeout.count();
  app.add_option("--handshake-timeout-ms", f.handshake_ms, "drop a connection that has not upgraded")
      ->check(CLI::Range(1L, 3'600'000L));
  app.add_option("--idle-timeout-ms", f.idle_ms, "close (1001) a silent connection; 0 = never")
      ->check(CLI::Range(0L, 86'400'000L));
  f.send_ms = o.send_timeout.count();
  app.add_option("--send-timeout-ms", f.send_ms, "reset a connection whose peer took none of its queued replies for this long")
      ->check(CLI::Range(1L, 3'600'000L));
  app.add_option("--max-backlog", o.max_backlog, "close (1008) a connection with more unsent bytes than this")
      ->check(CLI::Range(size_t{64} << 10, size_t{1} << 32));
  f.work_us = o.work_cost.count();
  app.add_option("--work-us", f.work_us, "/work handler: CPU microseconds per message")->check(CLI::Range(0L, 1'000'000L));
  app.add_option("--executor", f.executor, "/work handler runs 'inline' (poller thread) or on a thread 'pool'")
      ->check(CLI::IsMember({"inline", "pool"}));
  app.add_option("--executor-threads", o.work_threads, "thread-pool executor size")->check(CLI::Range(1u, 256u));
  app.add_option("--stats-out", o.stats_out, "also write the exit statistics (JSON) to this file");
}

// permessage-deflate (RFC 7692): off unless asked for, so every figure without it stays comparable.
void add_deflate_options(CLI::App& app, wsalloc::core::DeflateConfig& d, RawFlags& f) {
  f.server_bits = d.server_max_window_bits;
  f.client_bits = d.client_max_window_bits;
  auto* deflate = app.add_flag("--deflate", d.enabled, "accept permessage-deflate offers (RFC 7692)");
  app.add_option("--deflate-server-max-window-bits", f.server_bits, "window of our compressor, 8..15 (default 15)")
      ->check(CLI::Range(8u, 15u))->needs(deflate);
  app.add_option("--deflate-client-max-window-bits", f.client_bits,
                 "largest window a client may compress with, 8..15 (default 15; below 15 declines offers "
                 "without client_max_window_bits)")
      ->check(CLI::Range(8u, 15u))->needs(deflate);
  app.add_flag("--deflate-server-no-context-takeover", d.server_no_context_takeover,
               "compress every reply on its own (no zlib state kept between messages)")->needs(deflate);
  app.add_flag("--deflate-client-no-context-takeover", d.client_no_context_takeover,
               "ask clients to compress every message on its own")->needs(deflate);
  app.add_option("--deflate-level", d.level, "zlib compression level 0..9 (default 6)")
      ->check(CLI::Range(0, 9))->needs(deflate);
  app.add_option("--deflate-mem-level", d.mem_level, "zlib memLevel 1..9 (default 8)")
      ->check(CLI::Range(1, 9))->needs(deflate);
}

// The parsed text and numbers into their ServerOptions types (the validators above admitted them).
void apply_raw_flags(ServerOptions& o, const RawFlags& f) {
  o.allocator = f.allocator == "std" ? Allocator::Standard : Allocator::Variant;
  o.limits.deflate.server_max_window_bits = static_cast<uint8_t>(f.server_bits);
  o.limits.deflate.client_max_window_bits = static_cast<uint8_t>(f.client_bits);
  o.io = *wsalloc::net::parse_io_backend(f.io);  // IsMember above admits only known names
  unsigned long ring_count = 0, ring_bytes = 0;
  std::sscanf(f.uring_buffers.c_str(), "%lu:%lu", &ring_count, &ring_bytes);  // checked above
  o.uring_buffer_count = static_cast<uint32_t>(ring_count);
  o.uring_buffer_bytes = static_cast<uint32_t>(ring_bytes);
  o.handshake_timeout = std::chrono::milliseconds(f.handshake_ms);
  o.idle_timeout = std::chrono::milliseconds(f.idle_ms);
  o.send_timeout = std::chrono::milliseconds(f.send_ms);
  o.work_cost = std::chrono::microseconds(f.work_us);
  o.work_on_pool = f.executor == "pool";
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions o;
  RawFlags f;
  CLI::App app{"wsalloc-server: a WebSocket echo server in four memory variants"};
  add_server_options(app, o, f);
  add_limit_options(app, o, f);
  add_deflate_options(app, o.limits.deflate, f);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  apply_raw_flags(o, f);
  wsalloc::net::raise_fd_limit();  // every connection is a descriptor
  return run_server(o);
}
