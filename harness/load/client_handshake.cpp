#include "load/client_handshake.hpp"

#include <charconv>
#include <cstring>

#include "core/handshake.hpp"

namespace wsalloc::load {

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list holds `token` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void make_client_key(Wyrand& rng, char out[kClientKeyChars]) noexcept {
  uint8_t raw[18] = {};  // 16 random bytes + 2 zero pad bytes for the last base64 group
  const uint64_t a = rng.next(), b = rng.next();
  std::memcpy(raw, &a, 8);
  std::memcpy(raw + 8, &b, 8);
  for (size_t g = 0; g < 6; ++g) {
    const uint32_t v = (uint32_t{raw[3 * g]} << 16) | (uint32_t{raw[3 * g + 1]} << 8) | raw[3 * g + 2];
    out[4 * g + 0] = kB64[(v >> 18) & 63];
    out[4 * g + 1] = kB64[(v >> 12) & 63];
    out[4 * g + 2] = kB64[(v >> 6) & 63];
    out[4 * g + 3] = kB64[v & 63];
  }
  out[22] = out[23] = '=';  // 16 bytes = 5 full groups + 1 byte: "xx=="
}

size_t write_client_request(char* out, size_t cap, std::string_view host, uint16_t port, std::string_view path,
                            std::string_view key, std::string_view extensions) noexcept {
  char port_buf[8];
  const auto pr = std::to_chars(port_buf, port_buf + sizeof port_buf, port);
  const std::string_view port_s(port_buf, static_cast<size_t>(pr.ptr - port_buf));
  const bool v6 = host.find(':') != std::string_view::npos;
  const std::string_view parts[] = {
      "GET ", path, " HTTP/1.1\r\nHost: ", v6 ? "[" : "", host, v6 ? "]" : "", ":", port_s,
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ", key,
      "\r\nSec-WebSocket-Version: 13\r\n", extensions.empty() ? "" : "Sec-WebSocket-Extensions: ", extensions,
      extensions.empty() ? "" : "\r\n", "\r\n"};
  size_t n = 0;
  for (auto p : parts) {
    if (n + p.size() > cap) return 0;
    std::memcpy(out + n, p.data(), p.size());
    n += p.size();
  }
  return n;
}

ResponseCheck check_server_response(std::string_view received, std::string_view key, ResponseInfo& info,
                                    bool extensions_requested) noexcept {
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    return received.size() >= kMaxResponseHead ? ResponseCheck::TooLarge : ResponseCheck::Incomplete;
  }
  if (end + 4 > kMaxResponseHead) return ResponseCheck::TooLarge;
  info.head_bytes = end + 4;
  std::string_view head = received.substr(0, end + 2);  // every line ends with CRLF

  // Status line: HTTP/1.1 SP 3DIGIT SP reason
  const size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  if (status_line.size() < 12 || status_line.substr(0, 9) != "HTTP/1.1 ") return ResponseCheck::Malformed;
  int status = 0;
  const auto sr = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (sr.ec != std::errc{} || sr.ptr != status_line.data() + 12) return ResponseCheck::Malformed;
  info.status = status;

  std::string_view upgrade, connection, accept;
  bool extra = false;
  while (!head.empty()) {
    const size_t e = head.find("\r\n");
    const std::string_view line = head.substr(0, e);
    head.remove_prefix(e + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return ResponseCheck::Malformed;
    const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (iequals(name, "upgrade")) upgrade = value;
    else if (iequals(name, "connection")) connection = value;
    else if (iequals(name, "sec-websocket-accept")) accept = value;
    else if (extensions_requested && iequals(name, "sec-websocket-extensions")) {
      if (info.extension_count == ResponseInfo::kMaxExtensionFields) extra = true;
      else info.extensions[info.extension_count++] = value;
    } else if (iequals(name, "sec-websocket-extensions") || iequals(name, "sec-websocket-protocol")) {
      extra = true;
    }
  }
  if (status != 101) return ResponseCheck::NotSwitching;
  if (!iequals(upgrade, "websocket")) return ResponseCheck::NoUpgrade;
  if (!has_token(connection, "upgrade")) return ResponseCheck::NoConnection;
  char expected[28];
  core::compute_accept_key(key, expected);
  if (accept != std::string_view(expected, 28)) return ResponseCheck::BadAccept;
  if (extra) return ResponseCheck::UnrequestedExtra;
  return ResponseCheck::Accepted;
}

const char* to_string(ResponseCheck c) noexcept {
  switch (c) {
    case ResponseCheck::Incomplete: return "incomplete response";
    case ResponseCheck::Accepted: return "accepted";
    case ResponseCheck::NotSwitching: return "status is not 101 Switching Protocols";
    case ResponseCheck::Malformed: return "malformed HTTP response";
    case ResponseCheck::NoUpgrade: return "Upgrade: websocket missing";
    case ResponseCheck::NoConnection: return "Connection: upgrade missing";
    case ResponseCheck::BadAccept: return "Sec-WebSocket-Accept missing or wrong";
    case ResponseCheck::UnrequestedExtra: return "unrequested Sec-WebSocket-Extensions/Protocol";
    case ResponseCheck::TooLarge: return "response head over 4096 bytes";
  }
  return "?";
}

}  // namespace wsalloc::load
