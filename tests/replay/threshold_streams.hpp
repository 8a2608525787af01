#pragma once
// threshold_streams.hpp: client streams built around every size the server's code treats
// differently, so that a split at any byte meets each threshold from both sides.
#include <vector>

#include "replay_corpus.hpp"

namespace wsalloc::testing {

// Each: the RFC sample upgrade request, then frames whose sizes sit on a threshold, then (mostly)
// a close. Thresholds: 7/16/64-bit lengths (125/126, 65535/65536), the zerocopy pipeline's
// in-place reference size (2048) and its cork (64 KiB, 64 segments), the arena's block sizes
// (connection 32 KiB, message 64 KiB, loop 128 KiB = the page resource's mmap threshold), the
// receive buffer (512 KiB), control frames (125), the handshake's header limit (8 KiB) and
// --max-message (the 16 MiB default, and 65536 as the conformance suite's limits group runs it).
std::vector<ReplayStream> threshold_streams();

}  // namespace wsalloc::testing
