// The Sec-WebSocket-Extensions grammar (RFC 6455 section 9.1), read without allocating.
//
//   extension-list = 1#extension                     (RFC 7230 #rule: empty elements allowed)
//   extension      = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]   with optional whitespace around ";" "="
//   a quoted-string value, once unescaped, must itself be a token (9.1)
//
// A header may be sent several times; the fields read as one list, in order (RFC 7230 3.2.2).
// A malformed element is reported as such and reading resumes at the next top-level comma, so
// one broken offer never hides the offers after it (a server declines the broken one only).
//
//   ExtensionListReader list(fields);
//   ExtensionElement e;
//   while (list.next(e)) {
//     if (!e.well_formed || e.name != "permessage-deflate") continue;
//     ExtensionParamReader params(e.params);  ExtensionParam p;
//     while (params.next(p)) { ... p.name, p.value (unescaped), p.has_value ... }
//   }
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace wsalloc::core {

struct ExtensionElement {
  std::string_view name;    // the extension token; empty for an element that is not even a token
  std::string_view params;  // the raw text after the first ';' (views into the header), "" if none
  bool well_formed = false; // name and every parameter follow the grammar above
};

class ExtensionListReader {
 public:
  explicit ExtensionListReader(std::span<const std::string_view> fields) noexcept : fields_(fields) {}
  // The next non-empty element, false at the end of the last field.
  bool next(ExtensionElement& out) noexcept;

 private:
  std::span<const std::string_view> fields_;
  size_t field_ = 0;
  size_t pos_ = 0;  // in fields_[field_]
};

// One parameter. A quoted value is unescaped into the reader's own buffer: it stays valid until
// the next call to next(). Values longer than kMaxValue are reported as not well formed (no
// parameter this code knows takes a value longer than two characters).
struct ExtensionParam {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

class ExtensionParamReader {
 public:
  static constexpr size_t kMaxValue = 32;
  // `params`: ExtensionElement::params (text after the element's first ';').
  explicit ExtensionParamReader(std::string_view params) noexcept : rest_(params) {}
  // false at the end, or at a parameter that breaks the grammar (then malformed() is true).
  bool next(ExtensionParam& out) noexcept;
  bool malformed() const noexcept { return malformed_; }

 private:
  std::string_view rest_;
  bool malformed_ = false;
  char unescaped_[kMaxValue];
};

// Splits one element's text (without the separating commas) into name and params and checks the
// grammar. Exposed for the reader and for tests.
ExtensionElement parse_extension_element(std::string_view text) noexcept;

}  // namespace wsalloc::core
