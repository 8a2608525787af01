#pragma once
// http_text.hpp: the few RFC 7230 text rules the handshake and the extension header share
// (tokens, optional whitespace, case-insensitive names) and a bounded writer for responses.
// Header-only and allocation-free: everything works on views of the caller's bytes.
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string_view>

namespace wsalloc::core::http {

constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Case-insensitive comparison with a literal; `lower_lit` must already be lower case.
inline bool iequals(std::string_view a, std::string_view lower_lit) noexcept {
  if (a.size() != lower_lit.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != lower_lit[i]) return false;
  return true;
}

// RFC 7230 3.2.6 tchar.
inline bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A token is one or more tchars; the empty string is not a token.
inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

// Strips optional whitespace (SP / HTAB, RFC 7230 3.2.3) from both ends.
inline std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Appends into a fixed buffer. Once something does not fit, the writer stops and size() is 0, so a
// truncated response is never sent: the caller treats 0 as "did not fit".
class BoundedText {
 public:
  BoundedText(char* out, size_t cap) noexcept : out_(out), cap_(cap) {}
  BoundedText& operator<<(std::string_view s) noexcept {
    if (ok_ && s.size() <= cap_ - len_) {
      if (!s.empty()) std::memcpy(out_ + len_, s.data(), s.size());  // an empty view may hold nullptr
      len_ += s.size();
    } else {
      ok_ = false;
    }
    return *this;
  }
  BoundedText& operator<<(size_t n) noexcept {
    char digits[24];  // 2^64 has 20 digits
    const auto r = std::to_chars(digits, digits + sizeof digits, n);
    return *this << std::string_view(digits, static_cast<size_t>(r.ptr - digits));
  }
  size_t size() const noexcept { return ok_ ? len_ : 0; }

 private:
  char* out_;
  size_t cap_;
  size_t len_ = 0;
  bool ok_ = true;
};

}  // namespace wsalloc::core::http
