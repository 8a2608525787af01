#pragma once
// pipeline.hpp: the contract between a Session and the pipeline that carries its messages, as
// concepts the compiler checks (a static_assert beside each pipeline, and Session's and Worker's
// template parameters). Two pipelines meet it: PmrPipeline (pmr_pipeline.hpp: malloc, arena, pool
// on the variant's MemoryPlan) and ZeroCopyPipeline (zerocopy/zerocopy_pipeline.hpp, on its
// ZeroCopyLoop). The Session only parses and dispatches; the pipeline decides where every byte of
// a message and its replies lives, which is the whole difference between the variants.
//
// One pipeline per connection, one Plan per poller thread; everything single-threaded. An event is
// one on_bytes() of the Session: begin_event(), the parser's on_data() calls, then flush().
//
// MessagePipeline P:
//   P::Plan                 the per-thread memory the pipeline draws on (PipelinePlan below).
//   P(Plan&, Writer&)       a connection's pipeline; may take connection memory from the plan.
//                           The plan and the writer outlive it.
//   begin_event(input)      noexcept. The event's read, as the Session got it. REQUIRES: `input`
//                           stays valid and unchanged until the flush() that ends the event (a
//                           pipeline may reply with views into it: zerocopy does). O(1).
//   on_data(app, op, chunk, begin, end)
//                           one piece of a data message, already unmasked and validated (begin:
//                           its first piece; end: its last). Once the message is whole, calls
//                           app.on_message(Replier&, op, payload) exactly once, with `*this` as the
//                           Replier and `payload` valid only during that call. Cost: a message
//                           that arrives whole in one read is handed over without a copy by
//                           zerocopy, copied once into message memory by the pmr pipeline;
//                           pieces are assembled in a per-connection buffer that keeps its
//                           capacity (amortised: no allocation once it has grown).
//   send(op, payload)       (Replier) frames one message and queues it for the event's flush.
//                           `payload` may die when send() returns: it is copied, or referenced
//                           only where it lies in the event's input. May write early when the
//                           queue is full (zerocopy's cork). O(payload) at most.
//   send_raw(bytes)         queues bytes that are already a wire image (the HTTP 101, a 4xx).
//   flush()                 writes everything queued with as few writev calls as the writer
//                           allows (one when the socket takes it all), and ends the event: nothing
//                           refers to the event's input afterwards. What the socket does not take
//                           is copied into the connection's backlog (Blocked). Failed: the writer
//                           is gone; the caller aborts the connection.
//   send_now(frame)         writes already-framed bytes outside this connection's event (another
//                           connection's fan-out): what the socket takes now, the rest copied into
//                           the backlog (write_or_spill, flush.hpp). Never touches the event's queue.
//   unsent_bytes()          noexcept, O(1): bytes queued and not yet taken by the writer; drives
//                           backpressure and the slow-consumer limit.
//   trim_idle()             periodic (the worker's sweep, every 250 ms): gives back backlog
//                           capacity the connection no longer needs; returns the bytes given back.
//   agree_deflate(agreed, settings)
//                           noexcept, allocates nothing: permessage-deflate was negotiated; from
//                           now on data replies are compressed and get_inflater() (InflaterSource)
//                           answers the parser.
//   inflate_window()        the thread's inflate window (decompressed messages land there).
//   deflate()               noexcept: the connection's zlib state, null until the first compressed
//                           message (tests check it is made lazily).
//
// PipelinePlan L (one per poller thread, owned by the Worker):
//   after_iteration()       noexcept, at the end of every event-loop iteration (after every event
//                           of the iteration has flushed).
//   trim_idle()             noexcept, periodic (the sweep): idle memory beyond a budget goes back.
//   stats_json()            a JSON object text for /stats and the exit report.
//
// What a variant adds to its pipeline (name, plan factory): server_variant.hpp.
#include <sys/uio.h>

#include <concepts>
#include <cstddef>
#include <span>
#include <string>

#include "core/deflate_stream.hpp"
#include "core/frame.hpp"
#include "variants/connection_deflate.hpp"
#include "variants/replier.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

// The smallest application on_data() may be handed (Session passes its App with the
// connection's state bound); only used to check the contract.
struct PipelineProbeApp {
  void on_message(Replier&, core::Opcode, std::span<const uint8_t>) {}
};

template <class L>
concept PipelinePlan = requires(L& plan, const L& cplan) {
  { plan.after_iteration() } noexcept;
  { plan.trim_idle() } noexcept;
  { cplan.stats_json() } -> std::same_as<std::string>;
};

template <class P>
concept MessagePipeline =
    std::derived_from<P, Replier> && std::derived_from<P, core::InflaterSource> &&
    PipelinePlan<typename P::Plan> && std::constructible_from<P, typename P::Plan&, Writer&> &&
    requires(P& p, const P& cp, PipelineProbeApp& app, core::Opcode op, std::span<uint8_t> chunk,
             std::span<const uint8_t> bytes, std::span<const iovec> frame,
             const core::DeflateAgreement& agreed, const core::DeflateSettings& settings) {
      { p.begin_event(bytes) } noexcept;
      p.on_data(app, op, chunk, true, true);
      p.send(op, bytes);
      p.send_raw(bytes);
      { p.flush() } -> std::same_as<WriteOutcome>;
      { p.send_now(frame) } -> std::same_as<WriteOutcome>;
      { cp.unsent_bytes() } noexcept -> std::same_as<size_t>;
      { p.trim_idle() } -> std::same_as<size_t>;
      { p.agree_deflate(agreed, settings) } noexcept;
      { p.get_inflater() } noexcept -> std::same_as<core::MessageInflater*>;
      { p.inflate_window() } -> std::same_as<std::span<uint8_t>>;
      { cp.deflate() } noexcept -> std::same_as<const ConnectionDeflate*>;
    };

}  // namespace wsalloc::variants
