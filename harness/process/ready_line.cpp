#include "process/ready_line.hpp"

#include <charconv>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace wsalloc::process {

uint16_t parse_listening_port(const std::string& text) {
  static const std::regex re(R"(listening on (\S+):(\d+))");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return 0;
  unsigned long v = std::stoul(m[2].str());
  return v > 0 && v <= 65535 ? static_cast<uint16_t>(v) : 0;
}

std::optional<uint16_t> port_of_ready_line(std::string_view line) {
  constexpr std::string_view kPrefix = "listening on ";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const size_t colon = line.rfind(':');
  if (colon == std::string_view::npos || colon < kPrefix.size()) return std::nullopt;
  unsigned v = 0;
  const char* first = line.data() + colon + 1;
  const char* last = line.data() + line.size();
  auto [p, ec] = std::from_chars(first, last, v);
  if (ec != std::errc{} || p != last || v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

LineWaitResult wait_for_line(ChildProcess& child, const LineSource& source,
                             const std::function<bool(const std::string& line)>& accept,
                             std::chrono::milliseconds timeout, bool first_line_only) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  LineWaitResult r;
  size_t judged = 0;  // bytes of r.seen already split into lines and judged
  auto judge_complete_lines = [&]() -> bool {
    size_t nl;
    while ((nl = r.seen.find('\n', judged)) != std::string::npos) {
      r.line = r.seen.substr(judged, nl - judged);
      judged = nl + 1;
      if (accept(r.line)) {
        r.outcome = LineWait::Found;
        return true;
      }
      if (first_line_only) {
        r.outcome = LineWait::Rejected;
        return true;
      }
    }
    return false;
  };
  for (;;) {
    if (source.file.empty()) {
      child.drain_stdout(r.seen);
    } else {
      r.seen = read_whole_file(source.file);
    }
    if (judge_complete_lines()) return r;
    // Exited is judged after a last read: a server that printed its line and died at once is seen
    // as ready, and the next step (connecting) reports it.
    if (child.poll()) {
      if (source.file.empty()) {
        child.drain_stdout(r.seen);
      } else {
        r.seen = read_whole_file(source.file);
      }
      if (judge_complete_lines()) return r;
      r.line.clear();
      r.outcome = LineWait::Exited;
      return r;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      r.line.clear();
      r.outcome = LineWait::TimedOut;
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace wsalloc::process
