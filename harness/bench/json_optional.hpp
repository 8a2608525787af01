// A value that may be absent, as results.json writes it: the value, or null (never 0). nlohmann
// 3.11 has no std::optional serializer, so this is the one place that says how.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace wsalloc::bench {

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace wsalloc::bench
