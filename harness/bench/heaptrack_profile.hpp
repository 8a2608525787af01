// `wsbench profile`: one target on one scenario case under heaptrack, bounded, then
// `heaptrack_print` parsed into the results: allocation calls, temporary allocations, peak heap,
// leaked bytes and the top allocation sites. The .zst recording, the heaptrack_print text and the
// flamegraph stacks stay beside the results.json they are added to.
//
// Sizes: heaptrack_print writes "1.68K", "4.69M" with powers of 1000 (a 32816-byte opendir buffer
// prints as 32.82K); parsed back to bytes with those multipliers, so to 3-4 significant digits.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/paths.hpp"

namespace wsalloc::bench {

struct AllocationSite {
  uint64_t count = 0;        // calls (allocations / peak sections) or temporary allocations
  uint64_t of_total = 0;     // temporary section: allocations in total at the site
  double bytes = 0;          // peak consumption at the site
  std::string function;
  std::string location;      // "file.cpp:123", or "" when heaptrack has no debug info
  std::string module;
};

struct HeaptrackSummary {
  std::optional<uint64_t> allocation_calls;
  std::optional<uint64_t> temporary_allocations;
  std::optional<double> peak_heap_bytes;
  std::optional<double> peak_rss_bytes;   // includes heaptrack's own overhead
  std::optional<double> leaked_bytes;
  std::optional<double> runtime_s;
  std::string debuggee;
  std::vector<AllocationSite> top_calls;      // MOST CALLS TO ALLOCATION FUNCTIONS
  std::vector<AllocationSite> top_peak;       // PEAK MEMORY CONSUMERS
  std::vector<AllocationSite> top_temporary;  // MOST TEMPORARY ALLOCATIONS

  nlohmann::json to_json() const;
};

// Parses heaptrack_print's text output (any of its sections may be absent).
HeaptrackSummary parse_heaptrack_print(std::string_view text);
// "138.77K" -> 138770, "4.69M" -> 4.69e6, "512B" -> 512; nullopt when not a size.
std::optional<double> parse_heaptrack_size(std::string_view s);

struct ProfileOptions {
  std::string target;                // one target name (e.g. "malloc", "zerocopy")
  std::string scenario;              // one scenario name
  std::string case_name;             // "" = the first case
  std::optional<double> duration_s;  // default: min(case duration, 5 s); heaptrack slows the server
  std::optional<double> warmup_s;
  std::optional<std::filesystem::path> into;  // a run folder to add to; default: results/latest, else a new one
  std::optional<std::filesystem::path> out;   // results root (default <repo>/results)
  size_t top = 10;
  bool pin = true;
  std::vector<std::string> target_files;  // --target-file: profile a target of your own
};

// Returns an ExitCode (bench_run.hpp).
int profile_command(const BenchPaths& paths, const ProfileOptions& opts);

}  // namespace wsalloc::bench
