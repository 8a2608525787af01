// fd_limit.hpp: raise this process's descriptor limit before opening many sockets.
//
// Every connection is a descriptor, and the default soft RLIMIT_NOFILE (1024) is far below what a
// server or a load generator with thousands of connections needs. The hard limit is what an
// unprivileged process may take. Part of wsalloc_net's library API: wsalloc-server and wsload
// both call it.
#pragma once

#include <sys/resource.h>

namespace wsalloc::net {

// Sets the soft RLIMIT_NOFILE to the hard one when it is lower. Returns the soft limit in force
// afterwards (the old one when getrlimit/setrlimit fail; 0 when even getrlimit fails). Never lowers.
rlim_t raise_fd_limit() noexcept;

}  // namespace wsalloc::net
