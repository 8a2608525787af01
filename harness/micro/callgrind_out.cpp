#include "micro/callgrind_out.hpp"

#include <charconv>
#include <sstream>
#include <vector>

namespace wsalloc::micro {
namespace {

std::vector<std::string> fields(std::string_view rest) {
  std::vector<std::string> out;
  std::istringstream words{std::string(rest)};
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

bool starts_with(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

}  // namespace

CallgrindTotal callgrind_total(std::istream& in, std::string_view event) {
  std::vector<std::string> events;
  std::optional<std::string> totals, summary;
  for (std::string line; std::getline(in, line);) {
    if (starts_with(line, "events:")) {
      events = fields(std::string_view(line).substr(7));
    } else if (starts_with(line, "totals:")) {
      totals = line.substr(7);
    } else if (starts_with(line, "summary:")) {
      summary = line.substr(8);
    }
  }
  if (events.empty()) return {CallgrindParse::NoEventsLine, 0};
  size_t index = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i] == event) index = i;
  }
  if (index == events.size()) return {CallgrindParse::NoSuchEvent, 0};
  const std::optional<std::string>& line = totals ? totals : summary;
  if (!line) return {CallgrindParse::NoTotalsLine, 0};
  const std::vector<std::string> numbers = fields(*line);
  // A trailing zero event may be omitted in callgrind's compressed cost lines.
  if (index >= numbers.size()) return {CallgrindParse::Ok, 0};
  uint64_t value = 0;
  const std::string& s = numbers[index];
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return {CallgrindParse::BadNumber, 0};
  return {CallgrindParse::Ok, value};
}

std::string_view to_string(CallgrindParse status) noexcept {
  switch (status) {
    case CallgrindParse::Ok: return "ok";
    case CallgrindParse::NoEventsLine: return "no 'events:' line";
    case CallgrindParse::NoSuchEvent: return "event not in the 'events:' line";
    case CallgrindParse::NoTotalsLine: return "no 'totals:' or 'summary:' line";
    case CallgrindParse::BadNumber: return "a total that is not a number";
  }
  return "unknown";
}

}  // namespace wsalloc::micro
