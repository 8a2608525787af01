#include "bench/target_url.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/core.h>

namespace wsalloc::bench {
namespace {

[[noreturn]] void bad(std::string_view spec, const std::string& why) {
  throw std::invalid_argument(fmt::format("--target-url {}: {} (expected [NAME=]ws://HOST:PORT/PATH)", spec, why));
}

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 40) return false;
  for (unsigned char c : n) {
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.' && c != '+' && c != ':') return false;
  }
  return true;
}

}  // namespace

Target target_from_url(std::string_view spec) {
  std::string_view url = spec;
  std::string name;
  const size_t scheme = url.find("://");
  const size_t eq = url.find('=');
  if (eq != std::string_view::npos && (scheme == std::string_view::npos || eq < scheme)) {
    name = std::string(url.substr(0, eq));
    url = url.substr(eq + 1);
    if (!valid_name(name)) bad(spec, fmt::format("name \"{}\" must be 1-40 of A-Z a-z 0-9 - _ . + :", name));
  }
  if (url.rfind("wss://", 0) == 0) bad(spec, "wss:// is not supported: wsload speaks plain ws:// (terminate TLS in front)");
  if (url.rfind("ws://", 0) != 0) bad(spec, "the scheme must be ws://");
  std::string_view rest = url.substr(5);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));

  std::string host;
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) bad(spec, "unclosed '[' in the host");
    host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') bad(spec, "expected ':PORT' after ']'");
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) bad(spec, "no host");
  unsigned port = 80;
  if (!port_text.empty() || authority.find(':') != std::string_view::npos) {
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      bad(spec, fmt::format("port \"{}\" is not in [1, 65535]", port_text));
    }
  }

  Target t;
  t.kind = TargetKind::External;
  t.name = name.empty() ? fmt::format("{}:{}", host, port) : name;
  t.url = std::string(url);
  t.url_host = host;
  t.url_port = static_cast<uint16_t>(port);
  t.echo_path = path;
  t.description = fmt::format("{} (not started by wsbench: client-side figures only)", t.url);
  t.source = "--target-url";
  t.counter = CounterCoverage::NotStarted;
  t.counter_note = kNotStartedReason;
  return t;
}

}  // namespace wsalloc::bench
