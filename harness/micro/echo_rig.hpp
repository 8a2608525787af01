// echo_rig.hpp: one open WebSocket session of a variant on the in-memory transport, driven the way
// a poller drives a connection: a read lands in the receive buffer, the session parses and echoes,
// the replies are flushed, the iteration ends. No sockets, so what is measured is the pipeline.
//
//   EchoRig<variants::PoolVariant> rig(msg.wire.size());
//   rig.feed(msg.wire);                 // one message in, one echo out
//
// Memory: the rig's own buffers are sized in the constructor; feed() allocates nothing itself, so
// every allocation inside feed() is the variant's.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "micro/client_frames.hpp"
#include "micro/memory_peer.hpp"
#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/replier.hpp"
#include "variants/session.hpp"
#include "variants/writer.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"

namespace wsalloc::micro {

// CountingWriter (the peer that takes everything) is in memory_peer.hpp.

template <class Variant>
class EchoRig {
 public:
  using SessionT = variants::Session<typename Variant::Pipeline, variants::EchoApp>;

  // max_read: the largest read feed() will be given (the receive buffer's size).
  // Throws std::runtime_error when the session does not accept the upgrade request.
  explicit EchoRig(size_t max_read)
      : plan_(Variant::make_plan(options_)),
        session_(std::make_unique<SessionT>(*plan_, writer_, app_, limits_)),
        receive_(std::max(max_read, kUpgradeRequest.size())) {
    feed(kUpgradeRequest);
    if (session_->phase() != variants::SessionPhase::Open) {
      throw std::runtime_error("EchoRig<" + std::string(Variant::kName) + ">: upgrade request not accepted");
    }
  }

  // One poller iteration: load(read), then process().
  void feed(std::string_view read) noexcept {
    load(read);
    process();
  }

  // Copies `read` into the receive buffer: the session unmasks in place, so every iteration needs
  // a fresh copy (what recv() would have done). Aborts on a read larger than max_read: a harness
  // bug, never a measurement.
  void load(std::string_view read) noexcept {
    if (read.size() > receive_.size()) [[unlikely]] {
      std::fprintf(stderr, "EchoRig::load: read of %zu B > receive buffer %zu B\n", read.size(), receive_.size());
      std::abort();
    }
    std::memcpy(receive_.data(), read.data(), read.size());
    loaded_ = read.size();
  }

  // The server's part: parse and echo what load() put in the buffer, flush, end the iteration.
  void process() noexcept {
    session_->on_bytes({receive_.data(), loaded_});
    session_->flush();
    plan_->after_iteration();
  }

  uint64_t bytes_written() const noexcept { return writer_.bytes(); }
  variants::SessionPhase phase() const noexcept { return session_->phase(); }

 private:
  // Declaration order is construction order: the session keeps references to everything above it.
  variants::ServerOptions options_;
  variants::SessionLimits limits_;
  std::unique_ptr<typename Variant::Pipeline::Plan> plan_;
  CountingWriter writer_;
  variants::EchoApp app_;
  std::unique_ptr<SessionT> session_;  // heap, like the server's; destroyed before the plan
  std::vector<uint8_t> receive_;
  size_t loaded_ = 0;
};

// Calls fn.template operator()<Variant>() for each variant, in the order the reports use.
template <class Fn>
void for_each_variant(Fn&& fn) {
  fn.template operator()<variants::MallocVariant>();
  fn.template operator()<variants::ArenaVariant>();
  fn.template operator()<variants::PoolVariant>();
  fn.template operator()<variants::ZeroCopyVariant>();
}

}  // namespace wsalloc::micro
