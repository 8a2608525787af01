#pragma once
// writer.hpp: where a connection's bytes go. The socket writer is the real transport; the string
// writer is the in-memory transport that tests and micro-benchmarks drive without sockets.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace wsalloc::variants {

enum class WriteOutcome : uint8_t {
  Flushed,   // everything handed over
  Blocked,   // the peer is not reading (EAGAIN): the rest stays queued
  Failed,    // the connection is gone (EPIPE, ECONNRESET, ...)
};

class Writer {
 public:
  // Writes as much of iov[0..count) as the transport takes now. Returns bytes taken, or -1 on a
  // fatal error. 0 with count > 0 means "would block".
  virtual ssize_t write(const iovec* iov, int count) noexcept = 0;

 protected:
  ~Writer() = default;
};

// The in-memory transport: takes everything, appends it to `out`. Not on a socket, so never blocks.
// (Appending may allocate: tests reserve `out` before a measured window.)
class StringWriter final : public Writer {
 public:
  std::string out;
  ssize_t write(const iovec* iov, int count) noexcept override {
    ssize_t total = 0;
    for (int i = 0; i < count; ++i) {
      out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      total += static_cast<ssize_t>(iov[i].iov_len);
    }
    return total;
  }
};

// Caps how much a StringWriter takes per call: simulates a slow peer for backpressure tests.
class ThrottledWriter final : public Writer {
 public:
  explicit ThrottledWriter(size_t budget = SIZE_MAX) : budget_(budget) {}
  std::string out;
  void set_budget(size_t bytes) { budget_ = bytes; }
  ssize_t write(const iovec* iov, int count) noexcept override {
    ssize_t total = 0;
    for (int i = 0; i < count && budget_ > 0; ++i) {
      size_t n = iov[i].iov_len < budget_ ? iov[i].iov_len : budget_;
      out.append(static_cast<const char*>(iov[i].iov_base), n);
      budget_ -= n;
      total += static_cast<ssize_t>(n);
      if (n < iov[i].iov_len) break;
    }
    return total;
  }

 private:
  size_t budget_;
};

}  // namespace wsalloc::variants
