// Small blocking clients for the moments between measurements: readiness, `GET /stats`, and the
// feature probes that decide whether a scenario can run on a target. Never used inside a measured
// window (they allocate and take milliseconds). Every call is bounded by its timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace wsalloc::bench {

// Connects to host:port; true when the TCP connection was accepted within the timeout.
bool tcp_connectable(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

// A free TCP port on host, found by binding port 0 (for targets that cannot take --port 0).
// There is a race until the target binds it; the caller retries on failure.
std::optional<uint16_t> pick_free_port(const std::string& host);

// GET `path` over plain HTTP/1.1; the body when the status is 200, nullopt otherwise.
std::optional<std::string> http_get(const std::string& host, uint16_t port, const std::string& path,
                                    std::chrono::milliseconds timeout);

// http_get up to `attempts` times (a fresh connection each): a server pinned to a core that a
// loaded machine shares can answer past one timeout, and a gate must not go red for that.
std::optional<std::string> http_get_retrying(const std::string& host, uint16_t port, const std::string& path,
                                             std::chrono::milliseconds timeout, int attempts);

enum class ProbeResult : uint8_t {
  Supported,      // the behaviour was observed
  NotSupported,   // the server answered, but not with the behaviour
  Failed,         // could not even try (no connection, no handshake): the detail says why
};
const char* to_string(ProbeResult r) noexcept;

struct Probe {
  ProbeResult result = ProbeResult::Failed;
  std::string detail;  // one sentence, kept in the results next to the skip
};

// Broadcast: two WebSocket connections on `path`; a message sent on the first must arrive on the
// second within `timeout`. An echo server only echoes it back to the first: NotSupported.
Probe probe_broadcast(const std::string& host, uint16_t port, const std::string& path,
                      std::chrono::milliseconds timeout);

}  // namespace wsalloc::bench
