#include "fuzz_check.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace wsalloc::fuzz {
namespace {

// Plain statics, written only by the single-threaded regression runner before each input.
std::string g_name;
std::span<const uint8_t> g_bytes;

}  // namespace

void set_current_input(std::string_view name, std::span<const uint8_t> bytes) noexcept {
  g_name.assign(name);
  g_bytes = bytes;
}

void fail(const char* file, int line, const char* cond, const std::string& message) noexcept {
  std::fprintf(stderr, "FUZZ CHECK FAILED %s:%d: %s\n  %s\n", file, line, cond, message.c_str());
  if (!g_name.empty()) {
    // Saved in the working directory so a mutant that failed can be replayed and added to the
    // corpus as a regression file (the seed files themselves are already on disk).
    std::string saved = "fuzz-failure.bin";
    if (FILE* f = std::fopen(saved.c_str(), "wb")) {
      std::fwrite(g_bytes.data(), 1, g_bytes.size(), f);
      std::fclose(f);
    }
    std::fprintf(stderr, "  input: %s (%zu bytes, copy saved as ./%s)\n", g_name.c_str(), g_bytes.size(),
                 saved.c_str());
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace wsalloc::fuzz
