// permessage-deflate negotiation (RFC 7692 section 7.1): the server's choice among a client's
// offers, the response it sends, and the client's check of that response. No I/O, no allocation.
//
// Server side:
//   DeflateConfig config{.enabled = true};
//   DeflateAgreement agreed;
//   if (choose_deflate_offer(request.extension_fields(), config, agreed) == OfferChoice::Accepted) {
//     char line[kMaxDeflateResponse];
//     size_t n = write_deflate_response(agreed, line, sizeof line);   // the header's value
//   }
// Declining is never an error: the handshake completes without the extension (RFC 6455 9.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wsalloc::core {

inline constexpr std::string_view kPermessageDeflate = "permessage-deflate";

// One direction of compression: what the compressor of that direction may do.
struct DeflateParams {
  uint8_t window_bits = 15;          // LZ77 window the compressor may use: 8..15 (RFC 7692 7.1.2)
  bool no_context_takeover = false;  // the compressor starts every message with an empty window
};

// What both ends agreed. `server` is the server-to-client direction (the server compresses with
// it, the client inflates with it); `client` the other way round. The response flags record what
// the response names, so that the text is a function of the agreement alone.
struct DeflateAgreement {
  DeflateParams server;
  DeflateParams client;
  bool respond_server_max_window_bits = false;  // name server_max_window_bits=server.window_bits
  bool respond_client_max_window_bits = false;  // name client_max_window_bits=client.window_bits
};

// The server's limits and wishes. Defaults: zlib's own (window 15, memLevel 8, level 6).
struct DeflateConfig {
  bool enabled = false;                     // off: every offer is declined, RSV1 stays a 1002
  uint8_t server_max_window_bits = 15;      // our compressor's window; smaller = less memory
  uint8_t client_max_window_bits = 15;      // the largest window we let a client compress with;
                                            // below 15 needs an offer that names client_max_window_bits
  bool server_no_context_takeover = false;  // reset our compressor per message (always announced)
  bool client_no_context_takeover = false;  // ask the client to reset its compressor per message
  int level = 6;                            // zlib compression level 0..9
  int mem_level = 8;                        // zlib memLevel 1..9 (hash table and block buffer size)
};

// One permessage-deflate offer, its parameters as sent.
struct DeflateOffer {
  uint8_t server_max_window_bits = 0;  // 0: absent
  uint8_t client_max_window_bits = 0;  // 0: absent; kBitsWithoutValue: present without a value
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  static constexpr uint8_t kBitsWithoutValue = 0xFF;
};

enum class OfferCheck : uint8_t {
  Valid,
  Malformed,       // breaks the extension grammar (RFC 6455 9.1)
  UnknownParam,    // RFC 7692 7.1: a parameter not defined for an offer
  DuplicateParam,  // the same parameter twice
  BadValue,        // a value where none is allowed, none where one is needed, or not 8..15
};
const char* to_string(OfferCheck c) noexcept;

// Checks one element's parameter text (ExtensionElement::params of a well-formed element).
OfferCheck parse_deflate_offer(std::string_view params, DeflateOffer& out) noexcept;

enum class OfferChoice : uint8_t {
  Accepted,         // `agreed` is set: answer with write_deflate_response()
  Disabled,         // config.enabled is false
  NoOffer,          // no permessage-deflate among the offers
  NoAcceptableOffer,// every permessage-deflate offer was invalid or outside the server's limits
};

// Walks the offers in the client's order of preference and accepts the first valid one the server
// can honour within `config` (RFC 7692 7.1: decline an invalid or unsupported offer, try the next).
// `fields`: every Sec-WebSocket-Extensions header value of the request, in order.
OfferChoice choose_deflate_offer(std::span<const std::string_view> fields, const DeflateConfig& config,
                                 DeflateAgreement& agreed) noexcept;

// The agreement the server makes for one valid offer; false when it cannot honour it.
bool agree_to_offer(const DeflateOffer& offer, const DeflateConfig& config, DeflateAgreement& agreed) noexcept;

// The response's header value, e.g. "permessage-deflate; server_no_context_takeover".
// Returns bytes written, 0 when cap is too small (kMaxDeflateResponse always suffices).
inline constexpr size_t kMaxDeflateResponse = 128;
size_t write_deflate_response(const DeflateAgreement& agreed, char* out, size_t cap) noexcept;

// ---- client side (load generator, tests)

// The offer text a client sends for `offer`, e.g. "permessage-deflate; client_max_window_bits".
size_t write_deflate_offer(const DeflateOffer& offer, char* out, size_t cap) noexcept;

enum class ResponseVerdict : uint8_t {
  Accepted,       // `agreed` holds what the client must now follow
  NotAccepted,    // the response names no extension: no compression
  Invalid,        // RFC 7692 7.1: the client must fail the connection (unknown, duplicate or bad
                  // parameter, a window larger than offered, client_max_window_bits not offered,
                  // an extension that was not offered, more than one extension)
};
// `fields`: the Sec-WebSocket-Extensions values of the 101 response; `offer`: what was sent.
ResponseVerdict check_deflate_response(std::span<const std::string_view> fields, const DeflateOffer& offer,
                                       DeflateAgreement& agreed) noexcept;

}  // namespace wsalloc::core
