// ConfigFileError: a problem in one of wsbench's TOML files (scenarios/*.toml, targets/*.toml),
// located for the person who has to fix it.
//
//   what(): "FILE:LINE: key 'K': MESSAGE"      e.g.
//   "targets/mine.toml:7: key 'ready.timeout': -1 is outside [0.1, 600]"
//
// LINE is 0 when the problem has no line (the file cannot be opened); KEY is "(syntax)" for a TOML
// syntax error and "(file)" / "(directory)" when the file or folder cannot be read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace wsalloc::bench {

class ConfigFileError : public std::runtime_error {
 public:
  ConfigFileError(std::filesystem::path file, uint32_t line, std::string key, std::string message);
  const std::filesystem::path& file() const noexcept { return file_; }
  uint32_t line() const noexcept { return line_; }
  const std::string& key() const noexcept { return key_; }

 private:
  std::filesystem::path file_;
  uint32_t line_;
  std::string key_;
};

}  // namespace wsalloc::bench
