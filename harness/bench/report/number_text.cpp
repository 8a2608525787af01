#include "bench/report/number_text.hpp"

#include <cmath>

#include <fmt/core.h>

namespace wsalloc::report {

std::string format_number(std::optional<double> v) {
  if (!v) return kNotMeasured;
  const double x = *v;
  if (x == 0) return "0";
  if (std::fabs(x) < kNearZero) return "≈0";
  if (std::fabs(x) < 100) return fmt::format("{:.3g}", x);
  // Integers with thousands separators: a throughput is read, not computed with.
  const long long n = std::llround(std::fabs(x));
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return x < 0 ? "-" + out : out;
}

std::string format_ratio(std::optional<double> r) {
  if (!r || !std::isfinite(*r)) return "—";
  return fmt::format("×{:.2f}", *r);
}

std::string format_pct(std::optional<double> p) {
  if (!p || !std::isfinite(*p)) return "—";
  return fmt::format("{:+.1f} %", *p);
}

}  // namespace wsalloc::report
