#include "bench/proc_text.hpp"

#include <dirent.h>

#include <charconv>
#include <cstdio>

namespace wsalloc::bench {

std::optional<std::string> read_proc_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

std::optional<uint64_t> proc_field(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      const std::string_view rest = line.substr(key.size() + 1);
      const size_t b = rest.find_first_not_of(" \t");
      if (b == std::string_view::npos) return std::nullopt;
      uint64_t v = 0;
      if (std::from_chars(rest.data() + b, rest.data() + rest.size(), v).ec != std::errc{}) return std::nullopt;
      return v;
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> stat_field(std::string_view line, unsigned n) {
  const size_t close = line.rfind(')');
  if (close == std::string_view::npos || n < 3) return std::nullopt;
  const std::string_view rest = line.substr(close + 1);
  unsigned field = 3;
  size_t pos = 0;
  while (pos < rest.size()) {
    const size_t b = rest.find_first_not_of(' ', pos);
    if (b == std::string_view::npos) break;
    size_t e = rest.find_first_of(" \n", b);
    if (e == std::string_view::npos) e = rest.size();
    if (field == n) {
      uint64_t v = 0;
      if (std::from_chars(rest.data() + b, rest.data() + e, v).ec != std::errc{}) return std::nullopt;
      return v;
    }
    ++field;
    pos = e;
  }
  return std::nullopt;
}

bool for_each_thread(pid_t pid, const std::function<void(pid_t)>& each) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  while (const dirent* e = ::readdir(d)) {
    pid_t tid = 0;
    const std::string_view name(e->d_name);
    if (std::from_chars(name.data(), name.data() + name.size(), tid).ec == std::errc{}) each(tid);
  }
  ::closedir(d);
  return true;
}

}  // namespace wsalloc::bench
