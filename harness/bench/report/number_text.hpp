// How the report writes numbers, shared by the HTML tables and report.md (the page's script has a
// twin, fmtNum in report_script.cpp, for chart labels). A value that was not measured is written
// "not measured", never 0; an exact zero is "0"; |x| < 0.001 is "≈0" (the counting pass subtracts
// two runs, so noise around zero can even be slightly negative — the file keeps the exact value).
#pragma once

#include <optional>
#include <string>

namespace wsalloc::report {

inline constexpr const char* kNotMeasured = "not measured";
inline constexpr double kNearZero = 1e-3;

// 0 -> "0"; 4e-5 -> "≈0"; 0.00103 -> "0.00103"; 3.0000366 -> "3"; 12.345 -> "12.3";
// 220188.4 -> "220,188"; nullopt -> "not measured".
std::string format_number(std::optional<double> v);
// 1.153 -> "×1.15"; nullopt -> "—" (no reference measured).
std::string format_ratio(std::optional<double> r);
// 12.34 -> "+12.3 %", -0.04 -> "-0.0 %"; nullopt -> "—".
std::string format_pct(std::optional<double> p);

}  // namespace wsalloc::report
