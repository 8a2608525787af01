#pragma once
// fuzz_plan.hpp: how every fuzz target reads its input, so one seed format serves them all.
//
//   byte 0       flags: each target documents what its bits choose (role, limits, writer, ...)
//   bytes 1..6   three little-endian uint16 cut points, each taken modulo (body size + 1), sorted:
//                where the body is split into reads (raw_cuts keeps them as read, for a target
//                that splits a longer stream than the body, e.g. a request in front of it)
//   bytes 7..    the body: the bytes under test
// An input shorter than 7 bytes has an empty body and its missing prefix bytes read as 0, so
// libFuzzer's tiny early inputs are still valid.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wsalloc::fuzz {

struct FuzzPlan {
  static constexpr size_t kPrefix = 7;

  uint8_t flags = 0;
  std::array<size_t, 3> cuts{};      // sorted, each <= body.size()
  std::array<uint16_t, 3> raw_cuts{};  // the three values as they are in the input
  std::span<const uint8_t> body;

  FuzzPlan(const uint8_t* data, size_t size) noexcept {
    std::array<uint8_t, kPrefix> p{};
    std::copy_n(data, std::min(size, kPrefix), p.begin());
    flags = p[0];
    body = size > kPrefix ? std::span<const uint8_t>(data + kPrefix, size - kPrefix) : std::span<const uint8_t>{};
    for (size_t i = 0; i < cuts.size(); ++i) {
      raw_cuts[i] = static_cast<uint16_t>(p[1 + 2 * i] | p[2 + 2 * i] << 8);
      cuts[i] = raw_cuts[i] % (body.size() + 1);
    }
    std::sort(cuts.begin(), cuts.end());
  }

  // The body as four reads: [0,c0) [c0,c1) [c1,c2) [c2,n). Empty reads are kept (a parser must
  // take a zero-byte feed); callers that model a socket skip them (a 0-byte read is EOF there).
  std::vector<std::span<const uint8_t>> reads() const {
    std::vector<std::span<const uint8_t>> out;
    size_t from = 0;
    for (size_t c : cuts) {
      out.push_back(body.subspan(from, c - from));
      from = c;
    }
    out.push_back(body.subspan(from));
    return out;
  }
};

}  // namespace wsalloc::fuzz
