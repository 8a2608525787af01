#pragma once
// replay_corpus.hpp: the client byte streams the boundary-replay test feeds to every variant:
// those the suites send (captured into recipes by capture_streams.py, expanded here) and streams
// generated around every size threshold the server's code has (threshold_streams.cpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "variants/session.hpp"

namespace wsalloc::testing {

struct ReplayStream {
  std::string name;              // e.g. "conformance/framing-003" or "thresholds/binary_2048"
  std::string bytes;             // what the client sends, HTTP request first
  variants::SessionLimits limits;  // what the suite's server options made them (--max-message,
                                   // --deflate...); the defaults otherwise
  std::vector<size_t> landmarks; // offsets where the stream's structure changes (request end,
                                 // frame header and payload edges): cut points worth trying
};

// The session limits a server command line sets: --max-message N, --deflate and its
// --deflate-server/client-max-window-bits N and --deflate-server/client-no-context-takeover.
// Throws std::invalid_argument naming an option it does not know (a new one must be taught here).
variants::SessionLimits limits_from_args(const std::vector<std::string>& args);

// Expands one recipe (format: capture_streams.py). Throws std::runtime_error naming the file,
// the line and what was wrong with it.
ReplayStream load_recipe(const std::filesystem::path& file, const std::string& name);

// Every recipe under dir/<suite>/ (sorted by name). Throws when dir/<suite> holds none: a corpus
// that went missing must fail the test, not shrink it to nothing.
std::vector<ReplayStream> load_suite(const std::filesystem::path& dir, const std::string& suite);

// The payloads recipes generate (capture_streams.py): `text` is valid UTF-8 that starts and ends
// on a character boundary and mixes 1- to 4-byte characters; binary is any bytes. Unmasked.
std::string generated_payload(size_t n, bool text);

// Frame boundaries of a client stream: after the HTTP head, each frame header's start and end
// (payload start) and payload end, as far as the stream parses. Used for landmarks.
std::vector<size_t> structure_offsets(const std::string& stream);

}  // namespace wsalloc::testing
