#include "core/extension_list.hpp"

#include "core/http_text.hpp"

namespace wsalloc::core {
namespace {

using http::is_token;
using http::trim_ows;

// Index of the first `sep` in s outside a quoted-string, or s.size(). `closed` is false when a
// quoted-string runs to the end of s.
size_t find_outside_quotes(std::string_view s, char sep, bool& closed) noexcept {
  closed = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == sep) return i;
    if (s[i] != '"') continue;
    closed = false;
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;  // quoted-pair: the next byte is literal
      } else if (s[i] == '"') {
        closed = true;
        break;
      }
    }
    if (!closed) return s.size();
  }
  return s.size();
}

// Unescapes a quoted-string (with its quotes) into out[0, cap). False when it is not a complete
// quoted-string, or does not fit.
bool unquote(std::string_view q, char* out, size_t cap, std::string_view& value) noexcept {
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return false;
  size_t n = 0;
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    char c = q[i];
    if (c == '"') return false;  // an unescaped quote inside: two strings run together
    if (c == '\\') {
      if (i + 2 >= q.size()) return false;  // the backslash escapes the closing quote
      c = q[++i];
    }
    if (n == cap) return false;
    out[n++] = c;
  }
  value = {out, n};
  return true;
}

// Reads one parameter's text; false when it breaks the grammar.
bool read_param(std::string_view text, char* buf, size_t cap, ExtensionParam& out) noexcept {
  text = trim_ows(text);
  const size_t eq = text.find('=');
  out.name = trim_ows(text.substr(0, eq));
  out.has_value = eq != std::string_view::npos;
  out.value = {};
  if (!is_token(out.name)) return false;
  if (!out.has_value) return true;
  std::string_view raw = trim_ows(text.substr(eq + 1));
  if (!raw.empty() && raw.front() == '"') {
    // RFC 6455 9.1: the unescaped value must itself be a token.
    return unquote(raw, buf, cap, out.value) && is_token(out.value);
  }
  if (raw.size() > cap || !is_token(raw)) return false;
  out.value = raw;
  return true;
}

}  // namespace

ExtensionElement parse_extension_element(std::string_view text) noexcept {
  ExtensionElement e;
  text = trim_ows(text);
  bool closed = true;
  const size_t semi = find_outside_quotes(text, ';', closed);
  e.name = trim_ows(text.substr(0, semi));
  e.params = semi < text.size() ? text.substr(semi + 1) : std::string_view{};
  if (!is_token(e.name)) return e;
  if (semi < text.size()) {  // a ';' promises a parameter: "name;" alone is malformed
    ExtensionParam p;
    std::string_view rest = e.params;
    while (true) {
      const size_t cut = find_outside_quotes(rest, ';', closed);
      if (!closed) return e;
      char buf[ExtensionParamReader::kMaxValue];
      if (!read_param(rest.substr(0, cut), buf, sizeof buf, p)) return e;
      if (cut == rest.size()) break;
      rest.remove_prefix(cut + 1);
    }
  }
  e.well_formed = true;
  return e;
}

bool ExtensionListReader::next(ExtensionElement& out) noexcept {
  while (field_ < fields_.size()) {
    const std::string_view field = fields_[field_];
    if (pos_ >= field.size()) {
      ++field_;
      pos_ = 0;
      continue;
    }
    const std::string_view rest = field.substr(pos_);
    bool closed = true;
    const size_t comma = find_outside_quotes(rest, ',', closed);
    const std::string_view text = rest.substr(0, comma);
    pos_ += comma + 1;  // past the comma (or past the end: the field is done)
    if (trim_ows(text).empty()) continue;  // RFC 7230 7: empty list elements are skipped
    out = parse_extension_element(text);
    if (!closed) out.well_formed = false;  // an unterminated quoted-string swallowed the rest
    return true;
  }
  return false;
}

bool ExtensionParamReader::next(ExtensionParam& out) noexcept {
  if (rest_.empty() || malformed_) return false;
  bool closed = true;
  const size_t cut = find_outside_quotes(rest_, ';', closed);
  const std::string_view text = rest_.substr(0, cut);
  // "a;" promises a parameter after the ';': an empty remainder is then malformed, not the end.
  const bool more = cut < rest_.size();
  rest_ = more ? rest_.substr(cut + 1) : std::string_view{};
  if (!closed || !read_param(text, unescaped_, sizeof unescaped_, out) || (more && rest_.empty())) {
    malformed_ = true;
    rest_ = {};
    return false;
  }
  return true;
}

}  // namespace wsalloc::core
