#include "core/deflate_negotiation.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/extension_list.hpp"
#include "core/http_text.hpp"

namespace wsalloc::core {
namespace {

constexpr std::string_view kServerNoContextTakeover = "server_no_context_takeover";
constexpr std::string_view kClientNoContextTakeover = "client_no_context_takeover";
constexpr std::string_view kServerMaxWindowBits = "server_max_window_bits";
constexpr std::string_view kClientMaxWindowBits = "client_max_window_bits";

using http::iequals;

// RFC 7692 7.1.2.1: 1*DIGIT of 8..15 with no leading zero ("08" and "+9" are invalid). 0 = invalid.
uint8_t window_bits_value(std::string_view v) noexcept {
  if (v.empty() || v.size() > 2 || v[0] == '0') return 0;
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n < 8 || n > 15) return 0;
  return static_cast<uint8_t>(n);
}

// Which of the four parameters a name is; -1 for none.
int param_index(std::string_view name) noexcept {
  if (name == kServerNoContextTakeover) return 0;
  if (name == kClientNoContextTakeover) return 1;
  if (name == kServerMaxWindowBits) return 2;
  if (name == kClientMaxWindowBits) return 3;
  return -1;
}

// Reads the four parameters of one element. `response`: client_max_window_bits needs a value.
OfferCheck read_params(std::string_view params, bool response, DeflateOffer& out) noexcept {
  out = {};
  ExtensionParamReader reader(params);
  ExtensionParam p;
  bool seen[4] = {};
  while (reader.next(p)) {
    const int i = param_index(p.name);
    if (i < 0) return OfferCheck::UnknownParam;
    if (seen[i]) return OfferCheck::DuplicateParam;
    seen[i] = true;
    switch (i) {
      case 0:
      case 1:
        if (p.has_value) return OfferCheck::BadValue;  // 7.1.1.1 / 7.1.1.2: no value allowed
        (i == 0 ? out.server_no_context_takeover : out.client_no_context_takeover) = true;
        break;
      case 2:
        if (!p.has_value || (out.server_max_window_bits = window_bits_value(p.value)) == 0) return OfferCheck::BadValue;
        break;
      default:  // client_max_window_bits: an offer may name it without a value (7.1.2.2)
        if (!p.has_value) {
          if (response) return OfferCheck::BadValue;
          out.client_max_window_bits = DeflateOffer::kBitsWithoutValue;
        } else if ((out.client_max_window_bits = window_bits_value(p.value)) == 0) {
          return OfferCheck::BadValue;
        }
        break;
    }
  }
  return reader.malformed() ? OfferCheck::Malformed : OfferCheck::Valid;
}

using Text = http::BoundedText;

}  // namespace

const char* to_string(OfferCheck c) noexcept {
  switch (c) {
    case OfferCheck::Valid: return "valid";
    case OfferCheck::Malformed: return "malformed";
    case OfferCheck::UnknownParam: return "unknown parameter";
    case OfferCheck::DuplicateParam: return "duplicate parameter";
    case OfferCheck::BadValue: return "bad parameter value";
  }
  return "?";
}

OfferCheck parse_deflate_offer(std::string_view params, DeflateOffer& out) noexcept {
  return read_params(params, false, out);
}

bool agree_to_offer(const DeflateOffer& offer, const DeflateConfig& config, DeflateAgreement& agreed) noexcept {
  DeflateAgreement a;
  // Server to client: we may always compress with a smaller window than the client allows, and
  // say so (7.1.2.1); an offer that limits us must get the limit named back.
  a.server.window_bits = config.server_max_window_bits;
  if (offer.server_max_window_bits != 0) {
    a.server.window_bits = std::min(a.server.window_bits, offer.server_max_window_bits);
    a.respond_server_max_window_bits = true;
  } else {
    a.respond_server_max_window_bits = a.server.window_bits < 15;
  }
  a.server.no_context_takeover = offer.server_no_context_takeover || config.server_no_context_takeover;

  // Client to server: a limit on the client's window may only be named when the offer named the
  // parameter (7.1.2.2); without it the client may use 15 bits, which our limit may not allow.
  if (offer.client_max_window_bits == 0) {
    if (config.client_max_window_bits < 15) return false;
    a.client.window_bits = 15;
  } else if (offer.client_max_window_bits == DeflateOffer::kBitsWithoutValue) {
    a.client.window_bits = config.client_max_window_bits;
    a.respond_client_max_window_bits = a.client.window_bits < 15;
  } else {
    // An offered value is only a hint (7.1.2.2) and clients do not all keep to it (Beast's client
    // compresses with 15 bits unless the response names a value): what we inflate with is named.
    a.client.window_bits = std::min(offer.client_max_window_bits, config.client_max_window_bits);
    a.respond_client_max_window_bits = a.client.window_bits < 15;
  }
  a.client.no_context_takeover = offer.client_no_context_takeover || config.client_no_context_takeover;
  agreed = a;
  return true;
}

OfferChoice choose_deflate_offer(std::span<const std::string_view> fields, const DeflateConfig& config,
                                 DeflateAgreement& agreed) noexcept {
  if (!config.enabled) return OfferChoice::Disabled;
  ExtensionListReader list(fields);
  ExtensionElement e;
  bool offered = false;
  while (list.next(e)) {
    if (!iequals(e.name, kPermessageDeflate)) continue;  // another extension: declined by silence
    offered = true;
    DeflateOffer offer;
    if (!e.well_formed || read_params(e.params, false, offer) != OfferCheck::Valid) continue;
    if (agree_to_offer(offer, config, agreed)) return OfferChoice::Accepted;
  }
  return offered ? OfferChoice::NoAcceptableOffer : OfferChoice::NoOffer;
}

size_t write_deflate_response(const DeflateAgreement& a, char* out, size_t cap) noexcept {
  Text t(out, cap);
  t << kPermessageDeflate;
  if (a.server.no_context_takeover) t << "; " << kServerNoContextTakeover;
  if (a.client.no_context_takeover) t << "; " << kClientNoContextTakeover;
  if (a.respond_server_max_window_bits) t << "; " << kServerMaxWindowBits << "=" << unsigned{a.server.window_bits};
  if (a.respond_client_max_window_bits) t << "; " << kClientMaxWindowBits << "=" << unsigned{a.client.window_bits};
  return t.size();
}

size_t write_deflate_offer(const DeflateOffer& o, char* out, size_t cap) noexcept {
  Text t(out, cap);
  t << kPermessageDeflate;
  if (o.server_no_context_takeover) t << "; " << kServerNoContextTakeover;
  if (o.client_no_context_takeover) t << "; " << kClientNoContextTakeover;
  if (o.server_max_window_bits != 0) t << "; " << kServerMaxWindowBits << "=" << unsigned{o.server_max_window_bits};
  if (o.client_max_window_bits == DeflateOffer::kBitsWithoutValue) {
    t << "; " << kClientMaxWindowBits;
  } else if (o.client_max_window_bits != 0) {
    t << "; " << kClientMaxWindowBits << "=" << unsigned{o.client_max_window_bits};
  }
  return t.size();
}

ResponseVerdict check_deflate_response(std::span<const std::string_view> fields, const DeflateOffer& offer,
                                       DeflateAgreement& agreed) noexcept {
  ExtensionListReader list(fields);
  ExtensionElement e;
  if (!list.next(e)) return ResponseVerdict::NotAccepted;
  ExtensionElement more;
  if (list.next(more)) return ResponseVerdict::Invalid;  // one extension was offered; two came back
  if (!e.well_formed || !iequals(e.name, kPermessageDeflate)) return ResponseVerdict::Invalid;
  DeflateOffer r;
  if (read_params(e.params, true, r) != OfferCheck::Valid) return ResponseVerdict::Invalid;

  DeflateAgreement a;
  // 7.1.1.1: an offer of server_no_context_takeover is accepted only by naming it back.
  if (offer.server_no_context_takeover && !r.server_no_context_takeover) return ResponseVerdict::Invalid;
  a.server.no_context_takeover = r.server_no_context_takeover;
  // 7.1.2.1: a limit we offered must come back, no larger.
  if (offer.server_max_window_bits != 0 &&
      (r.server_max_window_bits == 0 || r.server_max_window_bits > offer.server_max_window_bits)) {
    return ResponseVerdict::Invalid;
  }
  a.server.window_bits = r.server_max_window_bits != 0 ? r.server_max_window_bits : 15;
  // 7.1.2.2: client_max_window_bits only when offered, and no larger than an offered value.
  if (r.client_max_window_bits != 0) {
    if (offer.client_max_window_bits == 0) return ResponseVerdict::Invalid;
    if (offer.client_max_window_bits != DeflateOffer::kBitsWithoutValue &&
        r.client_max_window_bits > offer.client_max_window_bits) {
      return ResponseVerdict::Invalid;
    }
    a.client.window_bits = r.client_max_window_bits;
  } else if (offer.client_max_window_bits != 0 && offer.client_max_window_bits != DeflateOffer::kBitsWithoutValue) {
    a.client.window_bits = offer.client_max_window_bits;  // we promised to stay within it
  }
  // 7.1.1.2: once offered (or asked for), the client keeps no context.
  a.client.no_context_takeover = offer.client_no_context_takeover || r.client_no_context_takeover;
  a.respond_server_max_window_bits = r.server_max_window_bits != 0;
  a.respond_client_max_window_bits = r.client_max_window_bits != 0;
  agreed = a;
  return ResponseVerdict::Accepted;
}

}  // namespace wsalloc::core
