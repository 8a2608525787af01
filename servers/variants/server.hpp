#pragma once
// server.hpp: wsalloc-server's entry point below the command line.
#include "variants/server_options.hpp"

namespace wsalloc::variants {

// Exit codes: named, not magic (house rule 6).
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// Listens, prints "listening on HOST:PORT" once ready, serves until SIGINT/SIGTERM, closes every
// connection (1001) and returns kExitOk; kExitFailure if it cannot listen; kExitUsage (with a
// message naming --io epoll) for --io uring where io_uring is unavailable.
int run_server(const ServerOptions& options);

bool variant_known(std::string_view name);

}  // namespace wsalloc::variants
