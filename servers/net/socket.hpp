#pragma once
// Thin, errno-carrying socket helpers. Every failure throws std::system_error whose code is the
// errno and whose message names the call and its argument, e.g. "bind(127.0.0.1:9001)".

#include <cstdint>
#include <string_view>

namespace wsalloc::net {

// Creates a non-blocking, close-on-exec TCP listening socket bound to host:port.
// host: an IPv4 literal ("127.0.0.1", "0.0.0.0"), an IPv6 literal ("::1", "[::1]", "::") or
// "localhost" (= 127.0.0.1; no resolver is consulted). port 0 = the kernel picks a free port
// (ask local_port()). SO_REUSEADDR is always set; SO_REUSEPORT only when reuse_port (one
// listener per poller thread). Returns the fd; the caller owns it.
// Throws std::system_error: EINVAL for a host that is none of the above, else the errno of the
// failing socket/setsockopt/bind/listen call; the message names the call and host:port.
int listen_tcp(std::string_view host, uint16_t port, bool reuse_port, int backlog = 4096);

// The port a socket is bound to (IPv4 or IPv6). Throws std::system_error naming getsockname(fd=N).
uint16_t local_port(int fd);

// O_NONBLOCK on. Throws std::system_error naming fcntl(fd=N).
void set_nonblocking(int fd);

// TCP_NODELAY on: replies are batched by the server per event, so Nagle only adds latency.
// Throws std::system_error naming setsockopt(fd=N, TCP_NODELAY) (e.g. EOPNOTSUPP on a non-TCP fd).
void set_nodelay(int fd);

}  // namespace wsalloc::net
