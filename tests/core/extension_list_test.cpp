#include "core/extension_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace wsalloc::core {
namespace {

struct Seen {
  std::string name;
  bool well_formed;
  std::vector<std::string> params;  // "name" or "name=value" (value unescaped)
};

std::vector<Seen> read_all(std::vector<std::string_view> fields) {
  std::vector<Seen> out;
  ExtensionListReader list(fields);
  ExtensionElement e;
  while (list.next(e)) {
    Seen s{std::string(e.name), e.well_formed, {}};
    if (e.well_formed) {
      ExtensionParamReader r(e.params);
      ExtensionParam p;
      while (r.next(p)) {
        std::string text(p.name);  // built piecewise: "=" + std::string trips a GCC 12 -Wrestrict false positive
        if (p.has_value) {
          text += '=';
          text += p.value;
        }
        s.params.push_back(std::move(text));
      }
      EXPECT_FALSE(r.malformed()) << "a well-formed element's parameters must all read";
    }
    out.push_back(std::move(s));
  }
  return out;
}

TEST(ExtensionList, reads_elements_and_parameters_in_order) {
  auto v = read_all({"permessage-deflate; client_max_window_bits, permessage-deflate;server_max_window_bits=10"});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "permessage-deflate");
  EXPECT_TRUE(v[0].well_formed);
  EXPECT_EQ(v[0].params, std::vector<std::string>{"client_max_window_bits"});
  EXPECT_EQ(v[1].params, std::vector<std::string>{"server_max_window_bits=10"});
}

TEST(ExtensionList, several_header_fields_read_as_one_list) {
  auto v = read_all({"foo", "permessage-deflate", "bar; x=1"});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].name, "foo");
  EXPECT_EQ(v[1].name, "permessage-deflate");
  EXPECT_EQ(v[2].params, std::vector<std::string>{"x=1"});
}

TEST(ExtensionList, empty_elements_and_whitespace_are_skipped) {
  auto v = read_all({" ,\t, permessage-deflate \t;\t client_max_window_bits = 12 ,, "});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].well_formed);
  EXPECT_EQ(v[0].params, std::vector<std::string>{"client_max_window_bits=12"});
}

TEST(ExtensionList, quoted_value_is_unescaped_and_may_hold_commas_and_semicolons_only_if_token) {
  auto v = read_all({R"(permessage-deflate; server_max_window_bits="1\0", next)"});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(v[0].well_formed);
  EXPECT_EQ(v[0].params, std::vector<std::string>{"server_max_window_bits=10"});
  EXPECT_EQ(v[1].name, "next");
  // A comma inside quotes does not split the list, but a non-token value is malformed (9.1).
  auto w = read_all({R"(a; p="x,y", b)"});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_FALSE(w[0].well_formed);
  EXPECT_EQ(w[1].name, "b");
  EXPECT_TRUE(w[1].well_formed);
}

TEST(ExtensionList, malformed_element_does_not_hide_the_next_one) {
  for (std::string_view bad : {"permessage-deflate;", "permessage-deflate; ;x", "permessage deflate",
                               "permessage-deflate; a=", "permessage-deflate; =1", "permessage-deflate; a=b=c",
                               "permessage-deflate; a=\"\"", "@bad"}) {
    std::string field = std::string(bad) + ", good";
    auto v = read_all({field});
    ASSERT_EQ(v.size(), 2u) << bad;
    EXPECT_FALSE(v[0].well_formed) << bad;
    EXPECT_EQ(v[1].name, "good") << bad;
    EXPECT_TRUE(v[1].well_formed) << bad;
  }
}

TEST(ExtensionList, unterminated_quote_swallows_the_rest_of_its_field_only) {
  auto v = read_all({R"(permessage-deflate; x="abc, permessage-deflate)", "later"});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_FALSE(v[0].well_formed);
  EXPECT_EQ(v[1].name, "later");
}

TEST(ExtensionList, over_long_value_is_malformed_not_truncated) {
  std::string field = "e; p=" + std::string(ExtensionParamReader::kMaxValue + 1, '9');
  auto v = read_all({field});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].well_formed);
}

TEST(ExtensionList, param_reader_reports_malformed_text) {
  ExtensionParamReader r(" a; b=\"unterminated");
  ExtensionParam p;
  ASSERT_TRUE(r.next(p));
  EXPECT_EQ(p.name, "a");
  EXPECT_FALSE(r.next(p));
  EXPECT_TRUE(r.malformed());
}

}  // namespace
}  // namespace wsalloc::core
