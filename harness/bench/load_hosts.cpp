#include "bench/load_hosts.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <fmt/core.h>

namespace wsalloc::bench {

std::vector<std::string> parse_load_host_names(const std::string& text) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string name = text.substr(start, comma - start);
    const bool good = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
    if (!good) throw std::invalid_argument(fmt::format("--load-hosts \"{}\": host name \"{}\" is empty or not of [A-Za-z0-9._-]", text, name));
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw std::invalid_argument(fmt::format("--load-hosts \"{}\": host \"{}\" named twice", text, name));
    }
    names.push_back(std::move(name));
    start = comma + 1;
  }
  return names;
}

void parse_master_address(const std::string& text, LoadHostsConfig& config) {
  const size_t colon = text.rfind(':');
  const std::string port_text = colon == std::string::npos ? text : text.substr(colon + 1);
  unsigned port = 0;
  const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    throw std::invalid_argument(fmt::format("--load-master \"{}\": expected [ADDRESS:]PORT with a port of 1..65535", text));
  }
  if (colon != std::string::npos) {
    if (colon == 0) throw std::invalid_argument(fmt::format("--load-master \"{}\": empty address before ':'", text));
    config.master_bind = text.substr(0, colon);
  }
  config.master_port = static_cast<uint16_t>(port);
}

std::variant<std::vector<LoadShare>, std::string> split_load(const LoadSpec& load, ScenarioKind kind,
                                                             const std::vector<std::string>& hosts) {
  const auto n = static_cast<uint32_t>(hosts.size());
  if (n == 0) return std::string("no load hosts");
  if (load.connections < n) {
    return fmt::format("{} connections cannot be split over {} load hosts (each needs at least one)", load.connections, n);
  }
  std::vector<LoadShare> shares;
  for (uint32_t i = 0; i < n; ++i) {
    LoadShare s{hosts[i], i + 1, n, load};
    s.load.connections = load.connections / n + (i < load.connections % n ? 1 : 0);
    if (load.rate > 0) {
      s.load.rate = kind == ScenarioKind::Broadcast ? load.rate / n
                                                    : load.rate * s.load.connections / static_cast<double>(load.connections);
    }
    shares.push_back(std::move(s));
  }
  return shares;
}

}  // namespace wsalloc::bench
