#pragma once
// io_backend.hpp: which kernel interface a Poller waits on, and whether io_uring can serve here.
//
//   epoll  readiness: the kernel says "fd N is readable", the handler then calls recv/writev
//          itself (two system calls per connection per event, plus one epoll_wait per batch)
//   uring  completion: receives land in buffers the poller thread lent the kernel, sends are
//          queued and submitted with the next wait, so a loop iteration is ONE system call
//          whatever the number of connections it serves (uring_backend.hpp)
//
// io_uring can be missing or switched off where epoll works: kernels before 6.1 (no
// DEFER_TASKRUN), the sysctl kernel.io_uring_disabled (1: only for a group, 2: for everyone),
// seccomp filters of container runtimes that refuse io_uring_setup. probe_uring() finds out once
// per process, by setting up (and tearing down) a ring exactly as the backend does.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsalloc::net {

enum class IoBackend : uint8_t { Epoll, Uring };

const char* to_string(IoBackend b) noexcept;
// "epoll" | "uring"; anything else is nullopt.
std::optional<IoBackend> parse_io_backend(std::string_view name) noexcept;

struct UringSupport {
  bool available = false;
  // Why not, when !available: the call that failed, its errno text, and what to look at, e.g.
  // "io_uring_setup: Operation not permitted (kernel.io_uring_disabled = 2)".
  std::string reason;
  // Kernel features found (meaningful when available). incremental_buffers: provided buffers
  // consumed piecewise (IOU_PBUF_RING_INC, 6.12), which lets one buffer hold many receives.
  bool incremental_buffers = false;
  bool recv_bundles = false;  // IORING_FEAT_RECVSEND_BUNDLE (6.10); reported, not used (see README)
  uint32_t features = 0;      // io_uring_params.features as the kernel returned them
};

// Thread-safe; the first call probes, later calls return the same answer. Never throws.
const UringSupport& probe_uring() noexcept;

}  // namespace wsalloc::net
