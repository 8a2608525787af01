#include "net/io_backend.hpp"

#include <liburing.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "net/uring_ring.hpp"

namespace wsalloc::net {
namespace {

std::string sysctl_note() {
  std::ifstream f("/proc/sys/kernel/io_uring_disabled");
  int v = -1;
  if (!(f >> v)) return "";
  if (v == 0) return " (kernel.io_uring_disabled = 0, so a seccomp filter or the kernel build refuses it)";
  return " (kernel.io_uring_disabled = " + std::to_string(v) + ")";
}

// Registers (then unregisters) a one-entry provided-buffer ring, as ProvidedBuffers does.
int try_buffer_ring(int ring_fd, void* mem, uint16_t flags) {
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = 1;
  reg.bgid = 0;
  reg.pad = flags;  // liburing 2.3 calls the flags field `pad`
  if (::syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) != 0) return errno;
  io_uring_buf_reg unreg{};
  unreg.bgid = 0;
  ::syscall(__NR_io_uring_register, ring_fd, IORING_UNREGISTER_PBUF_RING, &unreg, 1);
  return 0;
}

UringSupport probe() {
  UringSupport s;
  io_uring ring{};
  io_uring_params p{};
  p.flags = uring_setup_flags();
  p.cq_entries = 16;
  if (int r = io_uring_queue_init_params(8, &ring, &p); r < 0) {
    s.reason = std::string("io_uring_setup: ") + std::strerror(-r) +
               (r == -EINVAL ? " (the kernel lacks SINGLE_ISSUER/DEFER_TASKRUN: 6.1 or newer is needed)"
                             : sysctl_note());
    return s;
  }
  s.features = p.features;
  s.recv_bundles = (p.features & kFeatRecvSendBundle) != 0;
  // What the backend relies on: timeouts passed to io_uring_enter (no timeout SQEs), no dropped
  // completions, sockets polled by the kernel instead of punted to worker threads.
  const uint32_t needed = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP | IORING_FEAT_FAST_POLL;
  if ((p.features & needed) != needed) {
    s.reason = "io_uring lacks EXT_ARG, NODROP or FAST_POLL (features " + std::to_string(p.features) + ")";
    io_uring_queue_exit(&ring);
    return s;
  }
  void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    s.reason = std::string("mmap for a provided-buffer ring: ") + std::strerror(errno);
  } else if (try_buffer_ring(ring.ring_fd, mem, kPbufRingIncremental) == 0) {
    s.available = true;
    s.incremental_buffers = true;
  } else if (int err = try_buffer_ring(ring.ring_fd, mem, 0); err == 0) {
    s.available = true;
  } else {
    s.reason = std::string("io_uring_register(PBUF_RING): ") + std::strerror(err);
  }
  if (mem != MAP_FAILED) ::munmap(mem, 4096);
  io_uring_queue_exit(&ring);
  return s;
}

}  // namespace

const char* to_string(IoBackend b) noexcept {
  switch (b) {
    case IoBackend::Epoll: return "epoll";
    case IoBackend::Uring: return "uring";
  }
  return "?";
}

std::optional<IoBackend> parse_io_backend(std::string_view name) noexcept {
  if (name == "epoll") return IoBackend::Epoll;
  if (name == "uring") return IoBackend::Uring;
  return std::nullopt;
}

const UringSupport& probe_uring() noexcept {
  static const UringSupport support = probe();  // thread-safe initialisation (C++11)
  return support;
}

}  // namespace wsalloc::net
