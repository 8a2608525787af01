// Strict reading of wsbench's TOML files (scenarios/*.toml, targets/*.toml) with toml++.
//
// TableReader reads one table and remembers which keys it consumed, so reject_unknown() can report
// anything left over (a typo, a key of another section) with its line instead of ignoring it. Every
// getter returns nullopt for an absent key and throws ConfigFileError naming the file, the line,
// the full key ("load.connections") and what was expected for a present key of the wrong type or
// out of range: a typo must never fall back to a default silently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "bench/config_error.hpp"

namespace wsalloc::bench {

uint32_t line_of(const toml::node* n);
std::string type_name(const toml::node& n);  // "a string", "an integer", ... for messages

// Parses a whole file (or text, for tests); syntax errors become ConfigFileError with the line
// and the key "(syntax)", an unreadable file the key "(file)".
toml::table parse_toml_text(std::string_view text, const std::filesystem::path& file);
std::string read_config_text(const std::filesystem::path& file);

class TableReader {
 public:
  // `prefix` is the table's own key path ("" for the root, "load", "variant"), used in messages.
  TableReader(const toml::table& t, std::string prefix, const std::filesystem::path& file)
      : t_(t), prefix_(std::move(prefix)), file_(file) {}

  // Throws ConfigFileError at `at`'s line (the table's own line when null).
  [[noreturn]] void fail(std::string_view key, const toml::node* at, const std::string& msg) const;

  const toml::node* get(std::string_view key);  // marks the key as consumed
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  std::optional<double> number(std::string_view key, double min, double max, bool min_exclusive = false);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::string> string(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  // A size list for wsload: "32,512,16KiB", 32, or [32, "64KiB"]. Returned in wsload's syntax.
  std::optional<std::string> size_list(std::string_view key);
  // Weights: "70,25,5" or [70, 25, 5].
  std::optional<std::string> weight_list(std::string_view key);
  const toml::table* table(std::string_view key);
  const toml::array* table_array(std::string_view key);  // [[key]] (or an array of inline tables)

  void reject_unknown(std::string_view allowed_hint) const;
  std::string full(std::string_view key) const;
  const toml::table& node() const noexcept { return t_; }

 private:
  const toml::table& t_;
  std::string prefix_;
  const std::filesystem::path& file_;
  std::set<std::string> seen_;
};

}  // namespace wsalloc::bench
