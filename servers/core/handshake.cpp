#include "core/handshake.hpp"

// SHA1_Init/Update/Final are deprecated in OpenSSL 3 but are the only SHA-1 entry points that keep
// their context on the stack; SHA1() and EVP_Digest*() allocate an EVP_MD_CTX per call.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <charconv>
#include <cstring>

#include "core/http_text.hpp"

namespace wsalloc::core {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kEndOfHead = "\r\n\r\n";
constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 1.3

using http::iequals;
using http::is_token;
using http::trim_ows;
using http::ascii_lower;

// A field value may hold visible characters, obs-text, SP and HTAB; any other control byte
// (including a bare CR or LF inside a line) makes the request malformed.
bool is_field_value(std::string_view s) noexcept {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return false;
  }
  return true;
}

// True when the comma-separated list holds `lit` (lower case) as one of its trimmed tokens.
bool list_has_token(std::string_view list, std::string_view lit) noexcept {
  while (true) {
    const size_t comma = list.find(',');
    if (iequals(trim_ows(list.substr(0, comma)), lit)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Base64 of exactly 16 bytes: 22 alphabet characters and "==". The unused low bits of the 22nd
// character are not required to be zero (decoders ignore them; RFC 6455 only asks for 16 bytes).
bool is_valid_key(std::string_view key) noexcept {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (!is_base64_char(key[i])) return false;
  return true;
}

}  // namespace

// ------------------------------------------------------------------------------------ parser

HandshakeParser::HandshakeParser(HandshakeLimits limits) noexcept : limits_(limits) {}

void HandshakeParser::reset() noexcept {
  req_ = {};
  scanned_ = 0;
  status_ = HandshakeStatus::Incomplete;
}

HandshakeStatus HandshakeParser::feed(std::string_view received) noexcept {
  if (status_ != HandshakeStatus::Incomplete) return status_;
  const size_t max = limits_.max_header_bytes;
  const std::string_view window = received.substr(0, received.size() < max ? received.size() : max);
  // Re-scan the last 3 bytes of the previous window: the terminator may straddle two reads.
  const size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  const size_t at = from < window.size() ? window.find(kEndOfHead, from) : std::string_view::npos;
  if (at == std::string_view::npos) {
    scanned_ = window.size();
    // The terminator must end within the first max bytes; with max bytes in hand it did not.
    if (received.size() >= max) status_ = HandshakeStatus::HeadersTooLarge;
    return status_;
  }
  status_ = parse(received.substr(0, at + kEndOfHead.size()));
  req_.header_bytes = at + kEndOfHead.size();
  return status_;
}

namespace {

// Takes the first line off `head` (which always ends with CRLF CRLF, so a CRLF is always found).
std::string_view take_line(std::string_view& head) noexcept {
  const size_t eol = head.find(kCrlf);
  const std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + kCrlf.size());
  return line;
}

// The request line: METHOD SP target SP HTTP/1.1. False: malformed (400).
bool parse_request_line(std::string_view line, HandshakeRequest& req) noexcept {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return false;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) return false;
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;
  }
  // RFC 6455 4.1 needs HTTP/1.1 or later; HTTP/1.0 and anything unknown are refused alike.
  if (version != "HTTP/1.1") return false;
  req.method = method;
  req.target = target;
  return true;
}

// What the header fields said beyond the values kept in HandshakeRequest.
struct FieldsSeen {
  bool host = false, key = false, version = false;
  bool upgrade_websocket = false, connection_upgrade = false, body = false;
};

// One header field, already split and validated. False: the request is malformed (400).
bool take_field(std::string_view name, std::string_view value, HandshakeRequest& req, FieldsSeen& seen) noexcept {
  switch (ascii_lower(name[0])) {  // dispatch on the first letter: one compare for unrelated headers
    case 'h':
      if (iequals(name, "host")) {
        if (seen.host) return false;  // RFC 7230 5.4
        seen.host = true;
        req.host = value;
      }
      break;
    case 's':
      if (iequals(name, "sec-websocket-key")) {
        if (seen.key) return false;  // RFC 6455 11.3.1: at most once
        seen.key = true;
        req.key = value;
      } else if (iequals(name, "sec-websocket-version")) {
        if (seen.version) return false;  // RFC 6455 11.3.5: at most once
        seen.version = true;
        req.version = value;
      } else if (iequals(name, "sec-websocket-protocol")) {
        if (req.protocol.empty()) req.protocol = value;
      } else if (iequals(name, "sec-websocket-extensions")) {
        if (req.extensions.empty()) req.extensions = value;
        if (req.extension_field_count < HandshakeRequest::kMaxExtensionFields)
          req.extension_fields[req.extension_field_count++] = value;
      }
      break;
    case 'u':
      if (iequals(name, "upgrade")) {
        const bool ws = list_has_token(value, "websocket");
        if (req.upgrade.empty() || (ws && !seen.upgrade_websocket)) req.upgrade = value;
        seen.upgrade_websocket = seen.upgrade_websocket || ws;
      }
      break;
    case 'c':
      if (iequals(name, "connection")) {
        const bool up = list_has_token(value, "upgrade");
        if (req.connection.empty() || (up && !seen.connection_upgrade)) req.connection = value;
        seen.connection_upgrade = seen.connection_upgrade || up;
      } else if (iequals(name, "content-length")) {
        uint64_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size()) return false;
        seen.body = seen.body || n != 0;
      }
      break;
    case 't':
      if (iequals(name, "transfer-encoding")) seen.body = true;
      break;
    case 'o':
      if (iequals(name, "origin") && req.origin.empty()) req.origin = value;
      break;
    default:
      break;
  }
  return true;
}

// The header lines up to the empty line. False: malformed (400).
bool parse_fields(std::string_view& head, HandshakeRequest& req, FieldsSeen& seen) noexcept {
  while (true) {
    const std::string_view line = take_line(head);
    if (line.empty()) return true;
    // obs-fold (a continuation line) is obsolete; RFC 7230 3.2.4 allows rejecting it.
    if (line.front() == ' ' || line.front() == '\t') return false;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    const std::string_view name = line.substr(0, colon);
    const std::string_view raw_value = line.substr(colon + 1);
    // Whitespace between name and colon is forbidden (RFC 7230 3.2.4): is_token rejects it.
    if (!is_token(name) || !is_field_value(raw_value)) return false;
    if (!take_field(name, trim_ows(raw_value), req, seen)) return false;
  }
}

// The decision, in the order of RFC 6455 4.2.1's list.
HandshakeStatus decide(const HandshakeRequest& req, const FieldsSeen& seen) noexcept {
  if (req.method != "GET") return HandshakeStatus::MethodNotAllowed;
  if (seen.body) return HandshakeStatus::BadRequest;
  if (!seen.host) return HandshakeStatus::BadRequest;
  if (!seen.upgrade_websocket) return HandshakeStatus::NotWebSocket;
  if (!seen.connection_upgrade) return HandshakeStatus::UpgradeRequired;
  if (!seen.key || !is_valid_key(req.key)) return HandshakeStatus::BadRequest;
  if (req.version != "13") return HandshakeStatus::UpgradeRequired;
  return HandshakeStatus::Accepted;
}

}  // namespace

// `head` is the request line and header lines, ending with the empty line.
HandshakeStatus HandshakeParser::parse(std::string_view head) noexcept {
  req_ = {};
  if (!parse_request_line(take_line(head), req_)) return HandshakeStatus::BadRequest;
  FieldsSeen seen;
  if (!parse_fields(head, req_, seen)) return HandshakeStatus::BadRequest;
  return decide(req_, seen);
}

// ---------------------------------------------------------------------------------- response

void compute_accept_key(std::string_view client_key, char out[28]) noexcept {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA_CTX ctx;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, client_key.data(), client_key.size());
  SHA1_Update(&ctx, kWebSocketGuid.data(), kWebSocketGuid.size());
  SHA1_Final(digest, &ctx);
  unsigned char b64[32];  // EVP_EncodeBlock writes 28 characters and a NUL
  EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  std::memcpy(out, b64, 28);
}

int http_status_code(HandshakeStatus status) noexcept {
  switch (status) {
    case HandshakeStatus::Accepted: return 101;
    case HandshakeStatus::BadRequest: return 400;
    case HandshakeStatus::MethodNotAllowed: return 405;
    case HandshakeStatus::NotWebSocket:
    case HandshakeStatus::UpgradeRequired: return 426;
    case HandshakeStatus::HeadersTooLarge: return 431;
    case HandshakeStatus::Incomplete: break;
  }
  return 0;
}

size_t write_handshake_response(HandshakeStatus status, const HandshakeRequest& req, char* out, size_t cap,
                                std::string_view extensions) noexcept {
  http::BoundedText w(out, cap);
  std::string_view reason, body, extra;
  switch (status) {
    case HandshakeStatus::Incomplete:
      return 0;
    case HandshakeStatus::Accepted: {
      char accept[28];
      compute_accept_key(req.key, accept);
      w << "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        << "Sec-WebSocket-Accept: " << std::string_view(accept, 28) << "\r\n";
      if (!extensions.empty()) w << "Sec-WebSocket-Extensions: " << extensions << "\r\n";
      w << "\r\n";
      return w.size();
    }
    case HandshakeStatus::BadRequest:
      reason = "400 Bad Request";
      body = "400 Bad Request: not a valid WebSocket upgrade request\n";
      break;
    case HandshakeStatus::MethodNotAllowed:
      reason = "405 Method Not Allowed";
      body = "405 Method Not Allowed: a WebSocket upgrade must use GET\n";
      extra = "Allow: GET\r\n";  // RFC 7231 6.5.5: a 405 must list the allowed methods
      break;
    case HandshakeStatus::NotWebSocket:
    case HandshakeStatus::UpgradeRequired:
      reason = "426 Upgrade Required";
      body = "426 Upgrade Required: this endpoint speaks WebSocket version 13\n";
      extra = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";  // RFC 7231 6.5.15, RFC 6455 4.4
      break;
    case HandshakeStatus::HeadersTooLarge:
      reason = "431 Request Header Fields Too Large";
      body = "431 Request Header Fields Too Large\n";
      break;
  }
  w << "HTTP/1.1 " << reason << "\r\n" << extra << "Content-Type: text/plain\r\nContent-Length: " << body.size()
    << "\r\nConnection: close\r\n\r\n" << body;
  return w.size();
}

}  // namespace wsalloc::core
