// Fuzz target: the UTF-8 validator (core/utf8.hpp) against the reference decoder
// (reference_utf8.hpp).
//
// Input (fuzz_plan.hpp): flags bits 0-2 = how many bytes the buffer starts past a 16-byte aligned
// address (the ASCII fast path reads words); the cuts split the body into incremental feeds.
// Checked: utf8_valid(whole) and utf8_valid(each read) agree with the reference; an incremental
// validator reports after every feed exactly what the reference says about that prefix (Complete at
// a character boundary, Partial inside a character, Invalid from the first impossible byte on,
// sticky) whether fed whole, in the planned reads or one byte at a time; reset() starts over.
// Every buffer ends exactly where its bytes end, so a word read past the end is an ASan report.
#include "reference_utf8.hpp"

#include <cstring>
#include <memory>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "fuzz_plan.hpp"

namespace wsalloc::fuzz {
namespace {

using core::Utf8Validator;

Utf8Validator::Result to_core(RefUtf8 r) {
  switch (r) {
    case RefUtf8::Complete: return Utf8Validator::Result::Complete;
    case RefUtf8::Partial: return Utf8Validator::Result::Partial;
    case RefUtf8::Invalid: break;
  }
  return Utf8Validator::Result::Invalid;
}

// A heap copy whose last byte is the last byte of the allocation, starting `skew` bytes in.
class ExactBuffer {
 public:
  ExactBuffer(std::span<const uint8_t> bytes, size_t skew)
      : mem_(std::make_unique<uint8_t[]>(bytes.size() + skew)), view_(mem_.get() + skew, bytes.size()) {
    if (!bytes.empty()) std::memcpy(view_.data(), bytes.data(), bytes.size());
  }
  std::span<const uint8_t> view() const { return view_; }

 private:
  std::unique_ptr<uint8_t[]> mem_;
  std::span<uint8_t> view_;
};

void check_step(Utf8Validator& v, Utf8Validator::Result got, const RefUtf8Scan& scan, size_t fed, const char* how) {
  const auto want = to_core(scan.after(fed));
  FUZZ_CHECK(got == want, "{}: after {} bytes the validator says {}, the reference {} (first bad byte {})", how,
             fed, static_cast<int>(got), static_cast<int>(want), scan.first_bad);
  FUZZ_CHECK(v.result() == got, "{}: result() {} differs from feed()'s {}", how, static_cast<int>(v.result()),
             static_cast<int>(got));
  FUZZ_CHECK(v.failed() == (got == Utf8Validator::Result::Invalid), "{}: failed() {} with result {}", how,
             v.failed(), static_cast<int>(got));
}

}  // namespace
}  // namespace wsalloc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wsalloc;
  using namespace wsalloc::fuzz;
  const FuzzPlan plan(data, size);
  const size_t skew = plan.flags & 7;
  const RefUtf8Scan scan = reference_utf8_scan(plan.body);
  const ExactBuffer whole(plan.body, skew);

  const bool valid = wsalloc::core::utf8_valid(whole.view());
  FUZZ_CHECK(valid == (scan.result == RefUtf8::Complete), "utf8_valid says {} for {} bytes, reference result {}",
             valid, plan.body.size(), static_cast<int>(scan.result));

  Utf8Validator v;
  check_step(v, v.feed(whole.view()), scan, plan.body.size(), "one feed");

  v.reset();
  check_step(v, v.result(), scan, 0, "after reset");
  size_t fed = 0;
  for (std::span<const uint8_t> read : plan.reads()) {
    const ExactBuffer piece(read, skew);
    const bool piece_valid = wsalloc::core::utf8_valid(piece.view());
    FUZZ_CHECK(piece_valid == reference_utf8_valid(read), "utf8_valid says {} for a {}-byte read at offset {}",
               piece_valid, read.size(), fed);
    fed += read.size();
    check_step(v, v.feed(piece.view()), scan, fed, "planned reads");
  }

  Utf8Validator bytewise;
  for (size_t i = 0; i < plan.body.size(); ++i)
    check_step(bytewise, bytewise.feed(whole.view().subspan(i, 1)), scan, i + 1, "one byte per feed");
  return 0;
}
