// Placeholders in a target's command line and environment: "{name}", with "{{" and "}}" for
// literal braces. Two stages:
//
//   load time   {bin} {repo} {peers} {dir} and a variant's own {vars} are filled when the target
//               file is read (so `wsbench list` shows real paths and missing files are found early);
//               braces inside the substituted values are escaped, so stage 2 does not read them;
//   start time  {host} {port} {cpu} are filled when wsbench starts the server (launch_server).
//
// An unknown name, an unmatched brace or an empty "{}" is an error whose message names the
// placeholder and the known ones; target_file.cpp turns it into file:line:key.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wsalloc::bench {

using PlaceholderValues = std::map<std::string, std::string>;

// Filled when the server is started: the host it listens on, its port (0 = "pick one and say
// which" when readiness reads the port from a line), and the CPU list it is pinned to in taskset
// syntax ("0", or every online CPU "0-1" when wsbench does not pin).
inline const std::set<std::string>& start_time_placeholders() {
  static const std::set<std::string> k = {"host", "port", "cpu"};
  return k;
}

class PlaceholderError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Replaces every {name} found in `values`. A name in `keep` is left as it is (with escapes kept),
// for a later stage; any other name throws PlaceholderError. `final` = the last stage: "{{"/"}}"
// become single braces; otherwise escapes are kept and braces in substituted values are escaped.
std::string expand_placeholders(std::string_view text, const PlaceholderValues& values,
                                const std::set<std::string>& keep, bool final);

// True when `text` contains the placeholder {name} (escaped braces do not count).
bool uses_placeholder(std::string_view text, std::string_view name);

}  // namespace wsalloc::bench
