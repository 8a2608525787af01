// report.md: the report's summary in Markdown for CI logs and pull requests — verdict, regressions,
// warnings, the variant-by-scenario table, allocators, heaptrack totals, baseline deltas and the
// commands. Same view and the same number formatting (number_text.hpp) as the HTML page.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace wsalloc::report {

std::string render_markdown(const nlohmann::json& view);

}  // namespace wsalloc::report
