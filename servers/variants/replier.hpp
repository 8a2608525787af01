#pragma once
// replier.hpp: what an application handler may do with a message: send frames back on the same
// connection. Implemented by each pipeline; the handler never sees sockets or memory resources.
#include <span>
#include <string_view>

#include "core/frame.hpp"

namespace wsalloc::variants {

class Replier {
 public:
  // Frames `payload` as one message and queues it. `payload` may point into the message being
  // handled; it is copied or referenced before the handler returns, per the pipeline's strategy.
  virtual void send(core::Opcode op, std::span<const uint8_t> payload) = 0;

 protected:
  ~Replier() = default;
};

// The echo application: every text and binary message back to its sender, type preserved.
struct EchoApp {
  struct ConnState {};
  void on_open(ConnState&, std::string_view) {}
  void on_message(Replier& r, ConnState&, core::Opcode op, std::span<const uint8_t> payload) {
    r.send(op, payload);
  }
};

}  // namespace wsalloc::variants
