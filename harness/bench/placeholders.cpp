#include "bench/placeholders.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

namespace wsalloc::bench {
namespace {

// Calls on_text(piece) for literal text (escapes already resolved to one brace) and
// on_name(name, raw) for each placeholder; raw is "{name}" as written.
template <class OnText, class OnName>
void scan(std::string_view text, OnText on_text, OnName on_name) {
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      on_text("{");
      i += 2;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      on_text("}");
      i += 2;
    } else if (c == '{') {
      const size_t close = text.find('}', i + 1);
      if (close == std::string_view::npos) {
        throw PlaceholderError(fmt::format("unmatched '{{' at offset {} in \"{}\" (write {{{{ for a literal brace)", i, text));
      }
      const std::string_view name = text.substr(i + 1, close - i - 1);
      if (name.empty() || name.find('{') != std::string_view::npos) {
        throw PlaceholderError(fmt::format("bad placeholder \"{}\" in \"{}\" (write {{{{ and }}}} for literal braces)",
                                           text.substr(i, close - i + 1), text));
      }
      on_name(name, text.substr(i, close - i + 1));
      i = close + 1;
    } else if (c == '}') {
      throw PlaceholderError(fmt::format("unmatched '}}' at offset {} in \"{}\" (write }}}} for a literal brace)", i, text));
    } else {
      const size_t next = text.find_first_of("{}", i);
      const size_t end = next == std::string_view::npos ? text.size() : next;
      on_text(text.substr(i, end - i));
      i = end;
    }
  }
}

std::string escape_braces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '{' || c == '}') out += c;
    out += c;
  }
  return out;
}

}  // namespace

std::string expand_placeholders(std::string_view text, const PlaceholderValues& values,
                                const std::set<std::string>& keep, bool final) {
  std::string out;
  scan(
      text, [&](std::string_view piece) { out += final ? std::string(piece) : escape_braces(piece); },
      [&](std::string_view name, std::string_view raw) {
        const std::string key(name);
        if (auto it = values.find(key); it != values.end()) {
          out += final ? it->second : escape_braces(it->second);
        } else if (keep.count(key)) {
          out += raw;
        } else {
          std::set<std::string> known = keep;
          for (const auto& [k, v] : values) known.insert(k);
          throw PlaceholderError(fmt::format("unknown placeholder {{{}}} (known here: {{{}}})", name, fmt::join(known, "} {")));
        }
      });
  return out;
}

bool uses_placeholder(std::string_view text, std::string_view name) {
  bool found = false;
  scan(text, [](std::string_view) {}, [&](std::string_view n, std::string_view) { found = found || n == name; });
  return found;
}

}  // namespace wsalloc::bench
