#include "bench/compare/distributions.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/core.h>

namespace wsalloc::bench::compare {
namespace {

// Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4).
// Converges fast for x < (a + 1) / (a + b + 2); the caller uses the symmetry otherwise.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 300;
  constexpr double kTiny = 1e-300, kEpsilon = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    c = 1 + aa / c;
    if (std::fabs(d) < kTiny) d = kTiny;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    c = 1 + aa / c;
    if (std::fabs(d) < kTiny) d = kTiny;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1) < kEpsilon) break;
  }
  return h;
}

// I_x(a, b), the regularized incomplete beta function.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                                b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

void check_probability(double p, const char* what) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument(fmt::format("{}: probability {} outside (0, 1)", what, p));
}

// Both CDFs are monotonic: bisection to the last bit of a double is simple and always converges.
template <class Cdf>
double invert(Cdf cdf, double p, double lo, double hi) {
  for (int i = 0; i < 200 && hi - lo > 1e-12 * (1 + std::fabs(lo)); ++i) {
    const double mid = (lo + hi) / 2;
    (cdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_quantile(double p) {
  check_probability(p, "normal_quantile");
  return invert(normal_cdf, p, -40, 40);
}

double student_t_cdf(double t, double df) {
  if (!(df >= 1)) throw std::invalid_argument(fmt::format("student_t_cdf: df {} < 1", df));
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  check_probability(p, "student_t_quantile");
  if (!(df >= 1)) throw std::invalid_argument(fmt::format("student_t_quantile: df {} < 1", df));
  // t(1) at p = 1e-9 is about 3e8: the bracket covers every level a confidence interval uses.
  return invert([df](double t) { return student_t_cdf(t, df); }, p, -1e10, 1e10);
}

}  // namespace wsalloc::bench::compare
