// Reading fields of the report view (report_view.hpp) while rendering it: a field that is absent
// or of another type reads as nothing (nullopt, ""), so a renderer never throws on a partial view.
// One home for the Markdown and the HTML renderers.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace wsalloc::report::view_fields {

inline std::optional<double> num(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

inline std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace wsalloc::report::view_fields
