// The two distributions a bootstrap interval over few blocks needs: the standard normal and
// Student's t (bootstrap.hpp widens its percentiles by t_{n-1}/z so that 8 blocks are not treated
// as if they were 800). Accurate to ~1e-10, far beyond what a confidence level needs.
#pragma once

namespace wsalloc::bench::compare {

double normal_cdf(double x) noexcept;
// p in (0, 1); throws std::invalid_argument outside it.
double normal_quantile(double p);

// df >= 1 (real-valued allowed).
double student_t_cdf(double t, double df);
// p in (0, 1), df >= 1; throws std::invalid_argument otherwise.
double student_t_quantile(double p, double df);

}  // namespace wsalloc::bench::compare
