#pragma once
// fuzz_check.hpp: the one assertion every fuzz target uses.
//
// FUZZ_CHECK(cond, fmt, args...) aborts the process with the broken invariant, its file:line and a
// message carrying the offending values. Under libFuzzer the abort is the crash it records (it
// writes the input as crash-<sha1>); under the regression runner (regress_main.cpp) the runner has
// registered the input being run, so the failure also names it and saves a copy of its bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace wsalloc::fuzz {

[[noreturn]] void fail(const char* file, int line, const char* cond, const std::string& message) noexcept;

// The regression runner names the input before running it; libFuzzer does not (it saves its own).
void set_current_input(std::string_view name, std::span<const uint8_t> bytes) noexcept;

}  // namespace wsalloc::fuzz

#define FUZZ_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) [[unlikely]]                                                          \
      ::wsalloc::fuzz::fail(__FILE__, __LINE__, #cond, ::fmt::format(__VA_ARGS__));    \
  } while (0)
