#pragma once
// flush.hpp: one write for everything a connection produced in an event.
//
// Writes the backlog first (it is older), then `segments`, in as few writev calls as possible.
// What the writer does not take is copied into the backlog, so `segments` may point into
// per-event memory (the receive buffer, the loop's cork buffer, loop-area nodes) that dies when
// the event ends.
#include <sys/uio.h>

#include <span>

#include "variants/backlog.hpp"
#include "variants/writer.hpp"

namespace wsalloc::variants {

WriteOutcome write_or_spill(Writer& writer, Backlog& backlog, std::span<const iovec> segments);

// Copies `segments` behind the backlog without trying the writer (it just reported a full socket).
void spill_into(Backlog& backlog, std::span<const iovec> segments);

}  // namespace wsalloc::variants
