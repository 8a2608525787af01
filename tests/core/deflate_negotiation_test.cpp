#include "core/deflate_negotiation.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace wsalloc::core {
namespace {

DeflateConfig enabled(DeflateConfig c = {}) {
  c.enabled = true;
  return c;
}

struct Outcome {
  OfferChoice choice;
  DeflateAgreement agreed;
  std::string response;
};

Outcome negotiate(std::vector<std::string_view> fields, DeflateConfig config = enabled()) {
  Outcome o{};
  o.choice = choose_deflate_offer(fields, config, o.agreed);
  if (o.choice == OfferChoice::Accepted) {
    char buf[kMaxDeflateResponse];
    size_t n = write_deflate_response(o.agreed, buf, sizeof buf);
    EXPECT_GT(n, 0u);
    o.response.assign(buf, n);
  }
  return o;
}

TEST(DeflateNegotiation, plain_offer_is_accepted_with_full_windows_and_takeover) {
  auto o = negotiate({"permessage-deflate"});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate");
  EXPECT_EQ(o.agreed.server.window_bits, 15);
  EXPECT_EQ(o.agreed.client.window_bits, 15);
  EXPECT_FALSE(o.agreed.server.no_context_takeover);
  EXPECT_FALSE(o.agreed.client.no_context_takeover);
}

TEST(DeflateNegotiation, disabled_server_declines_everything) {
  DeflateAgreement a;
  std::string_view f = "permessage-deflate";
  EXPECT_EQ(choose_deflate_offer({&f, 1}, DeflateConfig{}, a), OfferChoice::Disabled);
}

TEST(DeflateNegotiation, no_offer_and_other_extensions_are_not_errors) {
  EXPECT_EQ(negotiate({}).choice, OfferChoice::NoOffer);
  EXPECT_EQ(negotiate({"x-webkit-deflate-frame", "deflate-frame"}).choice, OfferChoice::NoOffer);
  auto o = negotiate({"x-webkit-deflate-frame, permessage-deflate"});
  EXPECT_EQ(o.choice, OfferChoice::Accepted);
}

TEST(DeflateNegotiation, extension_name_is_case_insensitive) {
  EXPECT_EQ(negotiate({"PerMessage-Deflate"}).choice, OfferChoice::Accepted);
}

TEST(DeflateNegotiation, client_max_window_bits_without_value_lets_the_server_choose) {
  auto o = negotiate({"permessage-deflate; client_max_window_bits"});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate");  // 15: nothing to say
  DeflateConfig c = enabled();
  c.client_max_window_bits = 10;
  o = negotiate({"permessage-deflate; client_max_window_bits"}, c);
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; client_max_window_bits=10");
  EXPECT_EQ(o.agreed.client.window_bits, 10);
}

TEST(DeflateNegotiation, client_window_limit_needs_the_offer_to_name_the_parameter) {
  // RFC 7692 7.1.2.2: without client_max_window_bits in the offer the response must not name it,
  // so a server that needs the limit declines that offer and takes the next one.
  DeflateConfig c = enabled();
  c.client_max_window_bits = 9;
  EXPECT_EQ(negotiate({"permessage-deflate"}, c).choice, OfferChoice::NoAcceptableOffer);
  auto o = negotiate({"permessage-deflate, permessage-deflate; client_max_window_bits=12"}, c);
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; client_max_window_bits=9");
  EXPECT_EQ(o.agreed.client.window_bits, 9);
}

TEST(DeflateNegotiation, client_window_offered_with_a_value_is_named_back_not_trusted_as_a_hint) {
  // RFC 7692 7.1.2.2 makes an offered value a hint; Beast's client compresses with 15 bits unless
  // the response names a value. Inflating with the hinted window failed it with 1007.
  DeflateConfig c = enabled();
  c.client_max_window_bits = 12;
  auto o = negotiate({"permessage-deflate; client_max_window_bits=10"}, c);
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; client_max_window_bits=10");
  EXPECT_EQ(o.agreed.client.window_bits, 10);
  o = negotiate({"permessage-deflate; client_max_window_bits=15"}, c);
  EXPECT_EQ(o.response, "permessage-deflate; client_max_window_bits=12");
  o = negotiate({"permessage-deflate; client_max_window_bits=15"});
  EXPECT_EQ(o.response, "permessage-deflate") << "15: nothing to name";
}

TEST(DeflateNegotiation, server_window_is_the_smaller_of_offer_and_config_and_is_named) {
  auto o = negotiate({"permessage-deflate; server_max_window_bits=10"});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; server_max_window_bits=10");
  EXPECT_EQ(o.agreed.server.window_bits, 10);
  DeflateConfig c = enabled();
  c.server_max_window_bits = 9;
  o = negotiate({"permessage-deflate; server_max_window_bits=12"}, c);
  EXPECT_EQ(o.response, "permessage-deflate; server_max_window_bits=9");
  o = negotiate({"permessage-deflate"}, c);  // may be named even when not offered (7.1.2.1)
  EXPECT_EQ(o.response, "permessage-deflate; server_max_window_bits=9");
}

TEST(DeflateNegotiation, server_window_of_8_bits_is_accepted) {
  auto o = negotiate({"permessage-deflate; server_max_window_bits=8"});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; server_max_window_bits=8");
  EXPECT_EQ(o.agreed.server.window_bits, 8);
}

TEST(DeflateNegotiation, context_takeover_flags_are_honoured_and_announced) {
  auto o = negotiate({"permessage-deflate; server_no_context_takeover; client_no_context_takeover"});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.response, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  EXPECT_TRUE(o.agreed.server.no_context_takeover);
  EXPECT_TRUE(o.agreed.client.no_context_takeover);
  DeflateConfig c = enabled();
  c.server_no_context_takeover = true;
  c.client_no_context_takeover = true;
  o = negotiate({"permessage-deflate"}, c);
  EXPECT_EQ(o.response, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
}

TEST(DeflateNegotiation, invalid_offers_are_declined_and_the_next_one_is_tried) {
  // RFC 7692 7.1: unknown or duplicate parameters, invalid values -> decline that offer only.
  const std::vector<std::string_view> bad = {
      "permessage-deflate; unknown_param",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=\"\"",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=08",
      "permessage-deflate; server_max_window_bits=+9",
      "permessage-deflate; server_max_window_bits=1e1",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=100",
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate;",
      "permessage-deflate; ; server_no_context_takeover",
  };
  for (std::string_view b : bad) {
    EXPECT_EQ(negotiate({b}).choice, OfferChoice::NoAcceptableOffer) << b;
    std::string both = std::string(b) + ", permessage-deflate; server_max_window_bits=11";
    auto o = negotiate({both});
    ASSERT_EQ(o.choice, OfferChoice::Accepted) << b;
    EXPECT_EQ(o.response, "permessage-deflate; server_max_window_bits=11") << b;
  }
}

TEST(DeflateNegotiation, quoted_values_count_once_unescaped) {
  auto o = negotiate({"permessage-deflate; server_max_window_bits=\"10\""});
  ASSERT_EQ(o.choice, OfferChoice::Accepted);
  EXPECT_EQ(o.agreed.server.window_bits, 10);
}

TEST(DeflateNegotiation, parse_offer_reports_why) {
  DeflateOffer o;
  EXPECT_EQ(parse_deflate_offer("", o), OfferCheck::Valid);
  EXPECT_EQ(parse_deflate_offer(" client_max_window_bits", o), OfferCheck::Valid);
  EXPECT_EQ(o.client_max_window_bits, DeflateOffer::kBitsWithoutValue);
  EXPECT_EQ(parse_deflate_offer(" x", o), OfferCheck::UnknownParam);
  EXPECT_EQ(parse_deflate_offer(" server_max_window_bits=9; server_max_window_bits=9", o), OfferCheck::DuplicateParam);
  EXPECT_EQ(parse_deflate_offer(" server_max_window_bits=9 9", o), OfferCheck::Malformed);
  EXPECT_EQ(parse_deflate_offer(" server_max_window_bits=19", o), OfferCheck::BadValue);
  EXPECT_STREQ(to_string(OfferCheck::DuplicateParam), "duplicate parameter");
}

// ---- the client's side: what it sends, and its check of the response

std::string offer_text(const DeflateOffer& o) {
  char buf[kMaxDeflateResponse];
  return std::string(buf, write_deflate_offer(o, buf, sizeof buf));
}

TEST(DeflateNegotiation, client_offer_text_names_what_it_asks_for) {
  DeflateOffer o;
  EXPECT_EQ(offer_text(o), "permessage-deflate");
  o.client_max_window_bits = DeflateOffer::kBitsWithoutValue;
  o.server_no_context_takeover = true;
  o.server_max_window_bits = 10;
  EXPECT_EQ(offer_text(o), "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits");
}

TEST(DeflateNegotiation, server_response_is_accepted_by_the_client_check_with_the_same_agreement) {
  const std::vector<std::pair<std::string, DeflateConfig>> cases = {
      {"permessage-deflate; client_max_window_bits", enabled()},
      {"permessage-deflate; server_max_window_bits=9; client_max_window_bits=12", enabled()},
      {"permessage-deflate; server_no_context_takeover; client_max_window_bits",
       [] { DeflateConfig c = enabled(); c.client_max_window_bits = 8; c.client_no_context_takeover = true; return c; }()},
  };
  for (const auto& [text, config] : cases) {
    std::string_view f = text;
    auto o = negotiate({f}, config);
    ASSERT_EQ(o.choice, OfferChoice::Accepted) << text;
    DeflateOffer sent;
    ASSERT_EQ(parse_deflate_offer(std::string_view(text).substr(text.find(';') + 1), sent), OfferCheck::Valid) << text;
    std::string_view resp = o.response;
    DeflateAgreement client_view;
    ASSERT_EQ(check_deflate_response({&resp, 1}, sent, client_view), ResponseVerdict::Accepted) << o.response;
    EXPECT_EQ(client_view.server.window_bits, o.agreed.server.window_bits) << text;
    EXPECT_EQ(client_view.client.window_bits, o.agreed.client.window_bits) << text;
    EXPECT_EQ(client_view.server.no_context_takeover, o.agreed.server.no_context_takeover) << text;
    EXPECT_EQ(client_view.client.no_context_takeover, o.agreed.client.no_context_takeover) << text;
  }
}

TEST(DeflateNegotiation, client_check_fails_responses_rfc_7692_forbids) {
  DeflateOffer sent;  // plain "permessage-deflate"
  DeflateOffer limited;
  limited.server_max_window_bits = 10;
  limited.server_no_context_takeover = true;
  DeflateAgreement a;
  auto verdict = [&](std::string_view resp, const DeflateOffer& o) { return check_deflate_response({&resp, 1}, o, a); };
  EXPECT_EQ(verdict("permessage-deflate; client_max_window_bits=10", sent), ResponseVerdict::Invalid);  // not offered
  EXPECT_EQ(verdict("permessage-deflate; bogus", sent), ResponseVerdict::Invalid);
  EXPECT_EQ(verdict("permessage-deflate, permessage-deflate", sent), ResponseVerdict::Invalid);
  EXPECT_EQ(verdict("x-other", sent), ResponseVerdict::Invalid);
  EXPECT_EQ(verdict("permessage-deflate; server_no_context_takeover; server_max_window_bits=11", limited),
            ResponseVerdict::Invalid);  // larger than offered
  EXPECT_EQ(verdict("permessage-deflate; server_no_context_takeover", limited), ResponseVerdict::Invalid);  // limit dropped
  EXPECT_EQ(verdict("permessage-deflate; server_max_window_bits=10", limited), ResponseVerdict::Invalid);  // takeover not honoured
  EXPECT_EQ(verdict("permessage-deflate; server_no_context_takeover; server_max_window_bits=9", limited),
            ResponseVerdict::Accepted);
  EXPECT_EQ(a.server.window_bits, 9);
  EXPECT_EQ(check_deflate_response({}, sent, a), ResponseVerdict::NotAccepted);
  // client_max_window_bits in a response needs a value.
  DeflateOffer asks;
  asks.client_max_window_bits = DeflateOffer::kBitsWithoutValue;
  EXPECT_EQ(verdict("permessage-deflate; client_max_window_bits", asks), ResponseVerdict::Invalid);
  EXPECT_EQ(verdict("permessage-deflate; client_max_window_bits=11", asks), ResponseVerdict::Accepted);
  EXPECT_EQ(a.client.window_bits, 11);
}

}  // namespace
}  // namespace wsalloc::core
