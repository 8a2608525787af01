#include "bench/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/core.h>
#include <fmt/ranges.h>

namespace fs = std::filesystem;

namespace wsalloc::bench {

ConfigFileError::ConfigFileError(fs::path file, uint32_t line, std::string key, std::string message)
    : std::runtime_error(fmt::format("{}:{}: key '{}': {}", file.string(), line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)) {}

uint32_t line_of(const toml::node* n) { return n ? static_cast<uint32_t>(n->source().begin.line) : 0; }

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

toml::table parse_toml_text(std::string_view text, const fs::path& file) {
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    // toml++ does not know the key at a syntax error; name what it was reading.
    throw ConfigFileError(file, static_cast<uint32_t>(e.source().begin.line), "(syntax)", std::string(e.description()));
  }
}

std::string read_config_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigFileError(file, 0, "(file)", "cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void TableReader::fail(std::string_view key, const toml::node* at, const std::string& msg) const {
  throw ConfigFileError(file_, at ? line_of(at) : line_of(&t_), full(key), msg);
}

const toml::node* TableReader::get(std::string_view key) {
  seen_.insert(std::string(key));
  return t_.get(key);
}

std::optional<int64_t> TableReader::integer(std::string_view key, int64_t min, int64_t max) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  auto v = n->value_exact<int64_t>();
  if (!v) fail(key, n, fmt::format("expected an integer in [{}, {}], got {}", min, max, type_name(*n)));
  if (*v < min || *v > max) fail(key, n, fmt::format("{} is outside [{}, {}]", *v, min, max));
  return v;
}

std::optional<double> TableReader::number(std::string_view key, double min, double max, bool min_exclusive) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  std::optional<double> v;
  if (auto i = n->value_exact<int64_t>()) v = static_cast<double>(*i);
  else if (auto d = n->value_exact<double>()) v = *d;
  if (!v) fail(key, n, fmt::format("expected a number, got {}", type_name(*n)));
  const bool low = min_exclusive ? !(*v > min) : !(*v >= min);
  if (!std::isfinite(*v) || low || *v > max) {
    fail(key, n, fmt::format("{} is outside {}{}, {}]", *v, min_exclusive ? "(" : "[", min, max));
  }
  return v;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  auto v = n->value_exact<bool>();
  if (!v) fail(key, n, fmt::format("expected true or false, got {}", type_name(*n)));
  return v;
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  auto v = n->value_exact<std::string>();
  if (!v) fail(key, n, fmt::format("expected a string, got {}", type_name(*n)));
  return v;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  const toml::array* a = n->as_array();
  if (!a) fail(key, n, fmt::format("expected an array of strings, got {}", type_name(*n)));
  std::vector<std::string> out;
  for (const toml::node& e : *a) {
    auto v = e.value_exact<std::string>();
    if (!v) fail(key, &e, fmt::format("expected an array of strings, found {}", type_name(e)));
    out.push_back(*v);
  }
  return out;
}

std::optional<std::string> TableReader::size_list(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  std::vector<std::string> parts;
  auto add = [&](const toml::node& e) {
    if (auto i = e.value_exact<int64_t>()) {
      if (*i < 0 || *i > (int64_t{1} << 30)) fail(key, &e, fmt::format("size {} is outside [0, 1 GiB]", *i));
      parts.push_back(std::to_string(*i));
    } else if (auto s = e.value_exact<std::string>()) {
      std::stringstream ss(*s);
      std::string item;
      while (std::getline(ss, item, ',')) parts.push_back(item);
    } else {
      fail(key, &e, fmt::format("expected a size (integer or \"64KiB\"), got {}", type_name(e)));
    }
  };
  if (const toml::array* a = n->as_array()) {
    for (const toml::node& e : *a) add(e);
  } else {
    add(*n);
  }
  if (parts.empty()) fail(key, n, "expected at least one size");
  for (std::string& p : parts) {
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    size_t digits = 0;
    while (digits < p.size() && std::isdigit(static_cast<unsigned char>(p[digits]))) ++digits;
    std::string suffix = p.substr(digits);
    std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return std::tolower(c); });
    static const std::set<std::string> kSuffixes = {"", "b", "k", "kb", "kib", "m", "mb", "mib"};
    if (digits == 0 || !kSuffixes.count(suffix)) {
      fail(key, n, fmt::format("size \"{}\" is not a byte count (e.g. 32, \"512\", \"64KiB\", \"1MiB\")", p));
    }
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

std::optional<std::string> TableReader::weight_list(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return std::nullopt;
  std::vector<std::string> parts;
  if (const toml::array* a = n->as_array()) {
    for (const toml::node& e : *a) {
      auto i = e.value_exact<int64_t>();
      if (!i || *i < 0) fail(key, &e, "expected non-negative integer weights");
      parts.push_back(std::to_string(*i));
    }
  } else if (auto s = n->value_exact<std::string>()) {
    parts.push_back(*s);
  } else {
    fail(key, n, fmt::format("expected weights like [70, 25, 5], got {}", type_name(*n)));
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return nullptr;
  if (!n->is_table()) fail(key, n, fmt::format("expected a table [{}], got {}", full(key), type_name(*n)));
  return n->as_table();
}

const toml::array* TableReader::table_array(std::string_view key) {
  const toml::node* n = get(key);
  if (!n) return nullptr;
  const toml::array* a = n->as_array();
  if (!a || !a->is_array_of_tables()) fail(key, n, fmt::format("expected tables [[{}]]", full(key)));
  return a;
}

void TableReader::reject_unknown(std::string_view allowed_hint) const {
  for (const auto& [k, v] : t_) {
    if (!seen_.count(std::string(k.str()))) {
      fail(k.str(), &v, fmt::format("unknown key (allowed here: {})", allowed_hint));
    }
  }
}

std::string TableReader::full(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

}  // namespace wsalloc::bench
