#include "bench/placeholders.hpp"

#include <gtest/gtest.h>

namespace wsalloc::bench {
namespace {

const PlaceholderValues kLoad = {{"bin", "/b"}, {"variant", "arena"}};

TEST(Placeholders, load_time_values_are_filled_and_start_time_names_kept) {
  EXPECT_EQ(expand_placeholders("{bin}/srv --variant {variant} --port {port}", kLoad, start_time_placeholders(), false),
            "/b/srv --variant arena --port {port}");
}

TEST(Placeholders, escaped_braces_survive_the_first_stage_and_become_single_in_the_last) {
  const std::string stage1 = expand_placeholders("{{\"port\": {port}}}", kLoad, start_time_placeholders(), false);
  EXPECT_EQ(stage1, "{{\"port\": {port}}}");
  EXPECT_EQ(expand_placeholders(stage1, {{"port", "9001"}}, {}, true), "{\"port\": 9001}");
}

TEST(Placeholders, braces_inside_a_substituted_value_are_not_read_again) {
  const std::string stage1 = expand_placeholders("{dir}/x", {{"dir", "/tmp/{odd}"}}, start_time_placeholders(), false);
  EXPECT_EQ(expand_placeholders(stage1, {{"port", "1"}}, {}, true), "/tmp/{odd}/x");
}

TEST(Placeholders, an_unknown_name_is_an_error_listing_the_known_ones) {
  try {
    expand_placeholders("--port {prot}", kLoad, start_time_placeholders(), false);
    FAIL() << "no error";
  } catch (const PlaceholderError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown placeholder {prot}"), std::string::npos) << what;
    EXPECT_NE(what.find("{port}"), std::string::npos) << what;
    EXPECT_NE(what.find("{variant}"), std::string::npos) << what;
  }
}

TEST(Placeholders, unmatched_and_empty_braces_are_errors) {
  EXPECT_THROW(expand_placeholders("{port", {}, {"port"}, false), PlaceholderError);
  EXPECT_THROW(expand_placeholders("port}", {}, {"port"}, false), PlaceholderError);
  EXPECT_THROW(expand_placeholders("{}", {}, {"port"}, false), PlaceholderError);
}

TEST(Placeholders, uses_placeholder_ignores_escaped_braces) {
  EXPECT_TRUE(uses_placeholder("ws-l:{host}:{port}", "port"));
  EXPECT_FALSE(uses_placeholder("{{port}}", "port"));
  EXPECT_FALSE(uses_placeholder("--host {host}", "port"));
}

}  // namespace
}  // namespace wsalloc::bench
