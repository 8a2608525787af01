#pragma once
// replay_corpus.hpp: the client byte streams the boundary-replay test feeds to every variant:
// those the suites send (captured into recipes by capture_streams.py, expanded here) and streams
// generated around every size threshold the server's code has (threshold_streams.cpp).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wsalloc::testing {

struct ReplayStream {
  std::string name;              // e.g. "conformance/framing-003" or "thresholds/binary_2048"
  std::string bytes;             // what the client sends, HTTP request first
  uint64_t max_message = 0;      // the server's --max-message; 0 = the default (16 MiB)
  std::vector<size_t> landmarks; // offsets where the stream's structure changes (request end,
                                 // frame header and payload edges): cut points worth trying
};

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
