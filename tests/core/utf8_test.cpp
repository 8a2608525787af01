#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wsalloc::core {
namespace {

using R = Utf8Validator::Result;

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Feeds one byte at a time; returns the index of the byte that made the validator report Invalid,
// or -1 when it never did.
long first_invalid_byte(std::string_view s) {
  Utf8Validator v;
  for (size_t i = 0; i < s.size(); ++i)
    if (v.feed(bytes(s.substr(i, 1))) == R::Invalid) return static_cast<long>(i);
  return -1;
}

TEST(Utf8, accepts_ascii_and_empty) {
  EXPECT_TRUE(utf8_valid(bytes("")));
  EXPECT_TRUE(utf8_valid(bytes("Hello, world! 0123456789 ~")));
  std::string all_ascii;
  for (int c = 0; c < 128; ++c) all_ascii += static_cast<char>(c);
  EXPECT_TRUE(utf8_valid(bytes(all_ascii)));
}

TEST(Utf8, accepts_valid_multibyte_boundaries) {
  const char* valid[] = {
      "\xC2\x80",          // U+0080 first 2-byte
      "\xDF\xBF",          // U+07FF last 2-byte
      "\xE0\xA0\x80",      // U+0800 first 3-byte
      "\xED\x9F\xBF",      // U+D7FF just below the surrogates
      "\xEE\x80\x80",      // U+E000 just above the surrogates
      "\xEF\xBF\xBD",      // U+FFFD
      "\xEF\xBF\xBF",      // U+FFFF (noncharacter, still valid UTF-8)
      "\xF0\x90\x80\x80",  // U+10000 first 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF last code point
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // "kosme" in Greek
  };
  for (const char* s : valid) {
    EXPECT_TRUE(utf8_valid(bytes(s))) << s;
    EXPECT_EQ(first_invalid_byte(s), -1) << s;
  }
}

struct InvalidCase {
  const char* name;
  std::string_view seq;
  long fails_at;  // index of the first impossible byte
};

const InvalidCase kInvalid[] = {
    {"overlong 2-byte C0", "\xC0\x80", 0},
    {"overlong 2-byte C1", "\xC1\xBF", 0},
    {"overlong 3-byte", "\xE0\x80\x80", 1},
    {"max overlong 3-byte", "\xE0\x9F\xBF", 1},
    {"overlong 4-byte", "\xF0\x80\x80\x80", 1},
    {"max overlong 4-byte", "\xF0\x8F\xBF\xBF", 1},
    {"first surrogate", "\xED\xA0\x80", 1},
    {"last surrogate", "\xED\xBF\xBF", 1},
    {"paired surrogates", "\xED\xA0\x80\xED\xB0\x80", 1},
    {"above U+10FFFF via F4 90", "\xF4\x90\x80\x80", 1},
    {"lead F5", "\xF5\x80\x80\x80", 0},
    {"5-byte form", "\xF8\x88\x80\x80\x80", 0},
    {"6-byte form", "\xFC\x84\x80\x80\x80\x80", 0},
    {"byte FE", "\xFE", 0},
    {"byte FF", "\xFF", 0},
    {"stray continuation 80", "\x80", 0},
    {"stray continuation BF after ascii", "ab\xBF", 2},
    {"lead followed by ascii", "\xC2\x41", 1},
    {"3-byte cut by ascii", "\xE2\x82\x41", 2},
    {"4-byte cut by new lead", "\xF0\x9F\x98\xF0", 3},
    {"continuation after complete char", "\xC3\xA9\x80", 2},
};

TEST(Utf8, rejects_every_invalid_class_at_the_first_impossible_byte) {
  for (const auto& c : kInvalid) {
    EXPECT_FALSE(utf8_valid(bytes(c.seq))) << c.name;
    EXPECT_EQ(first_invalid_byte(c.seq), c.fails_at) << c.name;
  }
}

TEST(Utf8, f4_90_fails_at_second_byte_before_the_character_is_complete) {
  Utf8Validator v;
  EXPECT_EQ(v.feed(bytes("\xF4")), R::Partial);
  EXPECT_EQ(v.feed(bytes("\x90")), R::Invalid);
  EXPECT_TRUE(v.failed());
}

TEST(Utf8, truncated_sequences_are_partial_and_not_whole_buffer_valid) {
  const char* truncated[] = {"\xC2", "\xE2\x82", "\xE0\xA0", "\xF0\x9F\x98", "\xF4\x8F\xBF", "abc\xF1"};
  for (const char* s : truncated) {
    Utf8Validator v;
    EXPECT_EQ(v.feed(bytes(s)), R::Partial) << s;
    EXPECT_FALSE(v.failed());
    EXPECT_FALSE(utf8_valid(bytes(s))) << s;
  }
}

TEST(Utf8, partial_becomes_complete_when_the_character_finishes) {
  Utf8Validator v;
  EXPECT_EQ(v.feed(bytes("\xF0\x9F")), R::Partial);
  EXPECT_EQ(v.feed(bytes("\x98")), R::Partial);
  EXPECT_EQ(v.feed(bytes("\x80")), R::Complete);
  EXPECT_EQ(v.feed({}), R::Complete);
}

TEST(Utf8, invalid_is_sticky_until_reset) {
  Utf8Validator v;
  EXPECT_EQ(v.feed(bytes("\xFF")), R::Invalid);
  EXPECT_EQ(v.feed(bytes("abc")), R::Invalid);
  EXPECT_EQ(v.result(), R::Invalid);
  v.reset();
  EXPECT_FALSE(v.failed());
  EXPECT_EQ(v.feed(bytes("abc")), R::Complete);
}

TEST(Utf8, ascii_fast_path_finds_a_bad_byte_at_every_position) {
  for (size_t len : {7u, 8u, 9u, 15u, 16u, 17u, 31u, 64u, 65u}) {
    for (size_t pos = 0; pos < len; ++pos) {
      std::string s(len, 'a');
      s[pos] = '\x80';
      EXPECT_FALSE(utf8_valid(bytes(s))) << "len " << len << " pos " << pos;
      EXPECT_EQ(first_invalid_byte(s), static_cast<long>(pos));
      Utf8Validator v;
      EXPECT_EQ(v.feed(bytes(s)), R::Invalid);
    }
  }
}

TEST(Utf8, ascii_fast_path_hands_over_to_the_dfa_at_every_position) {
  for (size_t len : {8u, 16u, 33u}) {
    for (size_t pos = 0; pos + 1 < len; ++pos) {
      std::string ok(len, 'z');
      ok.replace(pos, 2, "\xC3\xA9");
      EXPECT_TRUE(utf8_valid(bytes(ok))) << "len " << len << " pos " << pos;
      std::string overlong(len, 'z');
      overlong.replace(pos, 2, "\xC0\xAF");
      EXPECT_FALSE(utf8_valid(bytes(overlong))) << "len " << len << " pos " << pos;
    }
  }
}

const std::string_view kCorpus[] = {
    "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!",  // Autobahn 6.2
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",                                // 6.5.1 kosme
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",  // 6.3.1
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80\x65\x64\x69\x74\x65\x64",  // 6.4.1
    "plain ascii that is longer than sixteen bytes, twice over: ascii ascii",
    "\xF0\x9F\x98\x80 smile \xF0\x9F\x98\x80\xF4\x8F\xBF\xBF end",
    "abc\xE2\x82",              // truncated at the end
    "0123456789abcdef\xC0\x80",  // overlong after a fast-path word
    "\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF",
    "\x80",
    "",
};

Utf8Validator::Result whole_result(std::string_view s) {
  Utf8Validator v;
  return v.feed(bytes(s));
}

TEST(Utf8, every_two_and_three_way_split_gives_the_whole_buffer_result) {
  for (std::string_view s : kCorpus) {
    const R want = whole_result(s);
    EXPECT_EQ(want == R::Complete, utf8_valid(bytes(s)));
    for (size_t i = 0; i <= s.size(); ++i) {
      for (size_t j = i; j <= s.size(); ++j) {
        Utf8Validator v;
        v.feed(bytes(s.substr(0, i)));
        v.feed(bytes(s.substr(i, j - i)));
        EXPECT_EQ(v.feed(bytes(s.substr(j))), want) << "split " << i << "," << j << " of " << s;
      }
    }
  }
}

// Autobahn|Testsuite case 6.x sequences (one entry per kind; valid per RFC 3629).
TEST(Utf8, autobahn_section_6_sequences) {
  struct Case { std::string_view seq; bool valid; };
  const Case cases[] = {
      {std::string_view("\x00", 1), true}, {"\xC2\x80", true}, {"\xE0\xA0\x80", true}, {"\xF0\x90\x80\x80", true},  // 6.7 first
      {"\xF8\x88\x80\x80\x80", false}, {"\xFC\x84\x80\x80\x80\x80", false},                   // 6.8
      {"\x7F", true}, {"\xDF\xBF", true}, {"\xEF\xBF\xBF", true}, {"\xF4\x8F\xBF\xBF", true},   // 6.9 last
      {"\xED\x9F\xBF", true}, {"\xEE\x80\x80", true}, {"\xEF\xBF\xBD", true},                  // 6.10
      {"\xF4\x90\x80\x80", false},
      {"\x80", false}, {"\xBF", false}, {"\x80\xBF", false}, {"\x80\xBF\x80\xBF", false},       // 6.12
      {"\xC0\x20", false}, {"\xE0\x20", false}, {"\xF0\x20", false},                           // 6.13
      {"\xC0", false}, {"\xE0\x80", false}, {"\xDF", false}, {"\xEF\xBF", false},              // 6.14
      {"\xFE", false}, {"\xFF", false}, {"\xFE\xFE\xFF\xFF", false},                           // 6.16
      {"\xC0\xAF", false}, {"\xE0\x80\xAF", false}, {"\xF0\x80\x80\xAF", false},               // 6.17
      {"\xC1\xBF", false}, {"\xE0\x9F\xBF", false}, {"\xF0\x8F\xBF\xBF", false},               // 6.18
      {"\xC0\x80", false}, {"\xE0\x80\x80", false}, {"\xF0\x80\x80\x80", false},               // 6.19
      {"\xED\xA0\x80", false}, {"\xED\xAD\xBF", false}, {"\xED\xAE\x80", false},               // 6.20
      {"\xED\xAF\xBF", false}, {"\xED\xB0\x80", false}, {"\xED\xBE\x80", false}, {"\xED\xBF\xBF", false},
      {"\xED\xA0\x80\xED\xB0\x80", false}, {"\xED\xAF\xBF\xED\xBF\xBF", false},               // 6.21
      {"\xEF\xBF\xBE", true}, {"\xF0\x9F\xBF\xBE", true}, {"\xF4\x8F\xBF\xBE", true},          // 6.22
      {"\xEF\xBF\xBD", true},                                                                  // 6.23
  };
  for (const auto& c : cases) {
    EXPECT_EQ(utf8_valid(bytes(c.seq)), c.valid) << "sequence of " << c.seq.size() << " bytes, first "
                                                 << int(static_cast<uint8_t>(c.seq.empty() ? 0 : c.seq[0]));
  }
}

TEST(Utf8, autobahn_6_4_fail_fast_reports_invalid_inside_the_bad_character) {
  // 6.4.1: kosme, then F4 90 80 80, then "edited": invalid at the 90, byte 12.
  EXPECT_EQ(first_invalid_byte(kCorpus[3]), 12);
  // 6.4.2-style: the same with the bad character delivered as its own fragment.
  Utf8Validator v;
  EXPECT_EQ(v.feed(bytes("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5")), R::Complete);
  EXPECT_EQ(v.feed(bytes("\xF4")), R::Partial);
  EXPECT_EQ(v.feed(bytes("\x90")), R::Invalid);
}

TEST(Utf8, every_code_point_encoded_by_hand_validates_exactly_when_it_is_a_scalar_value) {
  auto encode = [](uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
  };
  // Up to 0x13FFFF so the 4-byte form past U+10FFFF is covered; step keeps the run short.
  for (uint32_t cp = 0; cp < 0x140000; cp += (cp < 0x11000 ? 1 : 61)) {
    const bool scalar = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    ASSERT_EQ(utf8_valid(bytes(encode(cp))), scalar) << std::hex << "U+" << cp;
  }
}

}  // namespace
}  // namespace wsalloc::core
