#pragma once
// variant_harness.hpp: one Session of a given variant on the in-memory transport.
#include <memory>
#include <string>

#include "variants/arena/arena_variant.hpp"
#include "variants/malloc/malloc_variant.hpp"
#include "variants/pool/pool_variant.hpp"
#include "variants/replier.hpp"
#include "variants/session.hpp"
#include "variants/zerocopy/zerocopy_variant.hpp"
#include "wire_client.hpp"

namespace wsalloc::testing {

template <class Variant, class Writer = variants::StringWriter>
struct SessionHarness {
  using Pipeline = typename Variant::Pipeline;

  explicit SessionHarness(variants::SessionLimits l = {}, variants::ServerOptions o = {})
      : options(o), limits(l), plan(Variant::make_plan(options)) {}

  variants::ServerOptions options;
  variants::SessionLimits limits;
  std::unique_ptr<typename Pipeline::Plan> plan;
  Writer writer;
  variants::EchoApp app;
  variants::StatsSource stats = [] { return std::string(R"({"ok":true})"); };
  variants::Session<Pipeline, variants::EchoApp> session{*plan, writer, app, limits, &stats};

  // One "read": the bytes live until the flush, as a receive buffer does.
  variants::Next feed(std::string bytes) {
    auto next = session.on_bytes({reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()});
    session.flush();
    plan->after_iteration();
    return next;
  }

  // Handshakes and returns the frames the server sent after the 101 (usually none).
  void open() {
    feed(kUpgradeRequest);
    auto [head, rest] = split_http(writer.out);
    writer.out = rest;
  }

  ReplyDecoder decode() {
    ReplyDecoder d;
    d.feed(writer.out);
    return d;
  }
};

}  // namespace wsalloc::testing
