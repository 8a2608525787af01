// Exact proof, in-process: after a warm-up that has seen the largest message of the workload, the
// arena, pool and zerocopy variants make 0 heap allocations per message: neither malloc/new calls
// (AllocScope) nor page mappings (the arena maps blocks of 128 KiB and more itself, which no
// malloc counter sees: counted from its PageResource). The malloc variant's count is printed,
// not asserted: it is what it is.
//
// The transport is memory (no sockets) and the writer discards what it is given, so every
// allocation the counter sees is the server's own.
#include "malloccount/alloc_scope.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "memory/object_pool.hpp"
#include "variant_harness.hpp"

namespace wsalloc::testing {
namespace {

using core::Opcode;

using micro::CountingWriter;  // a reader that never falls behind (memory_peer.hpp)

// A workload: the bytes of one "read" (several frames), re-copied before every feed because the
// session unmasks in place.
struct Workload {
  std::string name;
  std::vector<std::string> reads;
  size_t messages = 0;
};

Workload echo(std::string name, Opcode op, size_t size, int per_read) {
  Workload w{std::move(name), {}, 0};
  std::string payload(size, 'a');
  if (op == Opcode::Text && size >= 4) std::memcpy(payload.data(), "\xc3\xa9\xe2\x82", 4), payload[4 % size] = '\xac';
  std::string read;
  for (int i = 0; i < per_read; ++i) read += client_frame(op, payload);
  w.reads.push_back(read);
  w.messages = static_cast<size_t>(per_read);
  return w;
}

Workload fragmented(size_t size, int fragments) {
  Workload w{"fragmented_" + std::to_string(size), {}, 1};
  std::string part(size / fragments, 'f');
  std::string read = client_frame(Opcode::Binary, part, false);
  for (int i = 1; i < fragments - 1; ++i) read += client_frame(Opcode::Continuation, part, false);
  read += client_frame(Opcode::Ping, "between") + client_frame(Opcode::Continuation, part, true);
  w.reads.push_back(read);
  return w;
}

Workload split_frame(size_t size) {  // one frame arriving in three reads
  Workload w{"split_" + std::to_string(size), {}, 1};
  std::string f = client_frame(Opcode::Binary, std::string(size, 's'));
  size_t a = f.size() / 3, b = 2 * f.size() / 3;
  w.reads = {f.substr(0, a), f.substr(a, b - a), f.substr(b)};
  return w;
}

std::vector<Workload> workloads() {
  std::vector<Workload> all;
  for (size_t size : {size_t{0}, size_t{32}, size_t{125}, size_t{512}, size_t{4096}, size_t{65536}, size_t{1} << 20}) {
    all.push_back(echo("binary_" + std::to_string(size), Opcode::Binary, size, size <= 4096 ? 16 : 1));
    all.push_back(echo("text_" + std::to_string(size), Opcode::Text, size, 1));
  }
  all.push_back(fragmented(4096, 4));
  all.push_back(fragmented(1 << 20, 4));
  all.push_back(split_frame(65536));
  Workload pings{"pings", {client_frame(Opcode::Ping, "p") + client_frame(Opcode::Binary, "x")}, 1};
  all.push_back(pings);
  return all;
}

// permessage-deflate workloads. The client compresses every message on its own (as with
// client_no_context_takeover), so the same bytes can be replayed whatever the server's context.
std::vector<Workload> deflate_workloads() {
  DeflatingClient c({15, true});
  std::vector<Workload> all;
  for (size_t size : {size_t{0}, size_t{32}, size_t{512}, size_t{4096}, size_t{65536}, size_t{1} << 20}) {
    std::string payload;
    while (payload.size() < size) payload += R"({"id":12345,"name":"user","ok":true},)";
    payload.resize(size);
    const int per_read = size <= 4096 ? 16 : 1;
    Workload w{"deflate_text_" + std::to_string(size), {std::string()}, static_cast<size_t>(per_read)};
    for (int i = 0; i < per_read; ++i) w.reads[0] += c.message(Opcode::Text, payload);
    all.push_back(w);
  }
  std::string big(1 << 18, 'b');
  all.push_back({"deflate_fragmented", {c.message(Opcode::Binary, big, 4) + client_frame(Opcode::Ping, "p")}, 1});
  const std::string split = c.message(Opcode::Binary, std::string(65536, 's'));
  all.push_back({"deflate_split", {split.substr(0, 5), split.substr(5, 40), split.substr(45)}, 1});
  all.push_back({"deflate_plain_frame", {client_frame(Opcode::Text, std::string(512, 'p'))}, 1});
  return all;
}

variants::SessionLimits deflate_limits(bool takeover) {
  variants::SessionLimits l;
  l.deflate.enabled = true;
  l.deflate.server_no_context_takeover = !takeover;
  l.deflate.client_no_context_takeover = !takeover;
  return l;
}

// The arena's blocks of 128 KiB and more are mapped, not malloc'ed: AllocScope cannot see them.
template <class Plan>
uint64_t page_maps(const Plan& plan) {
  auto j = nlohmann::json::parse(plan.stats_json());
  return j.contains("pages") ? j["pages"]["maps"].template get<uint64_t>() : 0;
}

template <class Variant>
struct Connections {
  explicit Connections(size_t n, variants::SessionLimits l = {},
                       std::string upgrade = kUpgradeRequest)
      : limits(l) {
    for (size_t i = 0; i < n; ++i) {
      sessions.push_back(std::make_unique<variants::Session<typename Variant::Pipeline, variants::EchoApp>>(
          *plan, writer, app, limits));
      std::string req = upgrade;
      sessions.back()->on_bytes({reinterpret_cast<uint8_t*>(req.data()), req.size()});
      sessions.back()->flush();
    }
  }
  // Runs the workload on every connection; `scratch` is pre-sized so copying allocates nothing.
  void run(const Workload& w, std::string& scratch) {
    for (auto& s : sessions) {
      for (const std::string& read : w.reads) {
        scratch.assign(read);
        s->on_bytes({reinterpret_cast<uint8_t*>(scratch.data()), scratch.size()});
        s->flush();
        plan->after_iteration();
      }
    }
  }
  // Page mappings the plan made so far (the arena maps blocks of 128 KiB and more itself, out of
  // the malloc counter's sight); 0 for plans that map nothing themselves.
  uint64_t page_maps() const {
    if constexpr (requires { plan->page_maps(); }) {
      return plan->page_maps();
    } else {
      return 0;
    }
  }
  variants::ServerOptions options;
  variants::SessionLimits limits;
  std::unique_ptr<typename Variant::Pipeline::Plan> plan = Variant::make_plan(options);
  CountingWriter writer;
  variants::EchoApp app;
  std::vector<std::unique_ptr<variants::Session<typename Variant::Pipeline, variants::EchoApp>>> sessions;
};

template <class Variant>
class SteadyState : public ::testing::Test {};
using AllocationFree = ::testing::Types<variants::ArenaVariant, variants::PoolVariant, variants::ZeroCopyVariant>;
TYPED_TEST_SUITE(SteadyState, AllocationFree);

TYPED_TEST(SteadyState, zero_allocations_per_message_after_warmup) {
  Connections<TypeParam> conns(8);
  std::string scratch;
  scratch.reserve((1 << 20) * 2);
  auto all = workloads();
  for (const Workload& w : all) conns.run(w, scratch);  // warm-up: sees the largest message
  for (const Workload& w : all) {
    size_t before = conns.writer.bytes();
    uint64_t allocations;
    const uint64_t maps_before = conns.page_maps();
    {
      malloccount::AllocScope scope;
      for (int round = 0; round < 3; ++round) conns.run(w, scratch);
      allocations = scope.allocations();
    }
    const uint64_t maps = conns.page_maps() - maps_before;
    EXPECT_EQ(allocations + maps, 0u) << w.name << ": " << allocations << " heap allocations, " << maps
                                      << " page mappings";
    EXPECT_GT(conns.writer.bytes(), before) << w.name << ": nothing was echoed";
  }
}

// One whole connection: handshake, 10 messages, close; the session object from an object pool
// as the server takes it. After one warm-up connection, later ones allocate nothing.
TYPED_TEST(SteadyState, zero_allocations_per_connection_after_warmup) {
  using SessionT = variants::Session<typename TypeParam::Pipeline, variants::EchoApp>;
  variants::ServerOptions options;
  variants::SessionLimits limits;
  auto plan = TypeParam::make_plan(options);
  CountingWriter writer;
  variants::EchoApp app;
  memory::ObjectPool<SessionT> sessions("sessions");
  std::string scratch;
  scratch.reserve(4096);
  std::string built;
  for (int i = 0; i < 10; ++i) built += client_frame(Opcode::Text, "message " + std::to_string(i));
  const std::string messages = built;
  const std::string upgrade = kUpgradeRequest;
  const std::string close = client_frame(Opcode::Close, "\x03\xe8");
  auto lifecycle = [&] {
    SessionT* s = sessions.create(*plan, writer, app, limits);
    for (const std::string* read : {&upgrade, &messages, &close}) {
      scratch.assign(*read);
      s->on_bytes({reinterpret_cast<uint8_t*>(scratch.data()), scratch.size()});
      s->flush();
      plan->after_iteration();
    }
    EXPECT_EQ(s->phase(), variants::SessionPhase::Closing);
    sessions.destroy(s);
  };
  lifecycle();
  size_t before = writer.bytes();
  uint64_t allocations;
  auto page_maps = [&] {
    if constexpr (requires { plan->page_maps(); }) {
      return plan->page_maps();
    } else {
      return uint64_t{0};
    }
  };
  const uint64_t maps_before = page_maps();
  {
    malloccount::AllocScope scope;
    for (int i = 0; i < 10; ++i) lifecycle();
    allocations = scope.allocations();
  }
  const uint64_t maps = page_maps() - maps_before;
  EXPECT_EQ(allocations + maps, 0u) << allocations << " heap allocations, " << maps << " page mappings";
  EXPECT_GT(writer.bytes(), before);
}

// With context takeover each connection's zlib streams are made at its first message, from its
// connection memory, and kept: after the warm-up no message allocates.
TYPED_TEST(SteadyState, zero_allocations_per_compressed_message_with_context_takeover) {
  Connections<TypeParam> conns(4, deflate_limits(true), upgrade_request_offering("permessage-deflate"));
  std::string scratch;
  scratch.reserve((1 << 20) * 2);
  auto all = deflate_workloads();
  for (const Workload& w : all) conns.run(w, scratch);
  for (const Workload& w : all) {
    const size_t before = conns.writer.bytes();
    const uint64_t maps = page_maps(*conns.plan);
    uint64_t allocations;
    {
      malloccount::AllocScope scope;
      for (int round = 0; round < 3; ++round) conns.run(w, scratch);
      allocations = scope.allocations();
    }
    EXPECT_EQ(allocations, 0u) << w.name;
    EXPECT_EQ(page_maps(*conns.plan), maps) << w.name << ": pages mapped";
    EXPECT_GT(conns.writer.bytes(), before) << w.name << ": nothing was echoed";
  }
}

// Without context takeover zlib's state lives one message, on the message lifetime (the arena's
// message area, the pools' free lists): after the warm-up none of it reaches the heap either.
TYPED_TEST(SteadyState, zero_heap_allocations_per_compressed_message_without_context_takeover) {
  Connections<TypeParam> conns(4, deflate_limits(false), upgrade_request_offering("permessage-deflate"));
  std::string scratch;
  scratch.reserve((1 << 20) * 2);
  auto all = deflate_workloads();
  // Twice: a connection's first split message leaves it a kept decompressor (held from then on),
  // which the workloads before it in the first pass did not yet have to share the pools with.
  for (int pass = 0; pass < 2; ++pass)
    for (const Workload& w : all) conns.run(w, scratch);
  for (const Workload& w : all) {
    const size_t before = conns.writer.bytes();
    const uint64_t maps = page_maps(*conns.plan);
    uint64_t allocations;
    {
      malloccount::AllocScope scope;
      for (int round = 0; round < 3; ++round) conns.run(w, scratch);
      allocations = scope.allocations();
    }
    EXPECT_EQ(allocations, 0u) << w.name;
    EXPECT_EQ(page_maps(*conns.plan), maps) << w.name << ": pages mapped";
    EXPECT_GT(conns.writer.bytes(), before) << w.name << ": nothing was echoed";
  }
}

TEST(SteadyStateBaseline, malloc_variant_allocations_are_reported) {
  Connections<variants::MallocVariant> conns(8);
  std::string scratch;
  scratch.reserve((1 << 20) * 2);
  auto all = workloads();
  for (const Workload& w : all) conns.run(w, scratch);
  for (const Workload& w : all) {
    malloccount::AllocScope scope;
    conns.run(w, scratch);
    uint64_t allocations = scope.allocations();
    double per_message = double(allocations) / double(w.messages * conns.sessions.size());
    std::printf("malloc variant %-18s %6.2f allocations/message\n", w.name.c_str(), per_message);
    EXPECT_GT(allocations, 0u) << "the baseline copies through std containers: it must allocate";
  }
}

TEST(SteadyStateBaseline, malloc_variant_allocations_per_compressed_message_are_reported) {
  for (bool takeover : {true, false}) {
    Connections<variants::MallocVariant> conns(4, deflate_limits(takeover), upgrade_request_offering("permessage-deflate"));
    std::string scratch;
    scratch.reserve((1 << 20) * 2);
    auto all = deflate_workloads();
    for (const Workload& w : all) conns.run(w, scratch);
    for (const Workload& w : all) {
      malloccount::AllocScope scope;
      conns.run(w, scratch);
      const double per_message = double(scope.allocations()) / double(w.messages * conns.sessions.size());
      std::printf("malloc variant %-12s %-20s %6.2f allocations/message\n", takeover ? "takeover" : "no-takeover",
                  w.name.c_str(), per_message);
      EXPECT_GT(scope.allocations(), 0u) << "the baseline copies through std containers: it must allocate";
    }
  }
}

}  // namespace
}  // namespace wsalloc::testing
