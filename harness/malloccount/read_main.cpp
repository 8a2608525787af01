// wsalloc-malloccount-read FILE: prints the counter file's snapshot as one JSON object on stdout.
//
// Exit codes (the project's convention, README "Exit codes"; a script can tell "not there yet"
// from "wrong file"):
//   0 printed; 2 usage; 3 cannot open / too small (the target may not have started);
//   4 the file is not a counter file of this build (magic, version or layout).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "malloccount/counters.hpp"
#include "malloccount/snapshot_json.hpp"

namespace {

enum class ExitCode : int { Ok = 0, Usage = 2, NoInput = 3, DataError = 4 };

int to_int(ExitCode c) { return static_cast<int>(c); }

}  // namespace

int main(int argc, char** argv) {
  using namespace wsalloc::malloccount;
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print("usage: wsalloc-malloccount-read FILE\n"
               "Prints the allocation counters in FILE (written by libwsalloc-malloccount.so via {})\n"
               "as one JSON object.\n",
               kFileEnvVar);
    return to_int(ExitCode::Ok);
  }
  if (argc != 2) {
    fmt::print(stderr, "wsalloc-malloccount-read: expected exactly one argument FILE, got {}\n", argc - 1);
    return to_int(ExitCode::Usage);
  }
  const std::string path = argv[1];
  ReadError why = ReadError::None;
  errno = 0;
  std::optional<CounterSnapshot> snap = read_counters(path, why);
  if (!snap) {
    int err = errno;
    if (why == ReadError::CannotOpen) {
      fmt::print(stderr, "wsalloc-malloccount-read: open({}): {}\n", path, std::strerror(err));
      return to_int(ExitCode::NoInput);
    }
    if (why == ReadError::TooSmall) {
      fmt::print(stderr, "wsalloc-malloccount-read: {}: {} (needs {} bytes)\n", path, read_error_name(why),
                 sizeof(CounterFile));
      return to_int(ExitCode::NoInput);
    }
    fmt::print(stderr, "wsalloc-malloccount-read: {}: {} (expected version {}, {} bytes)\n", path,
               read_error_name(why), kCounterVersion, sizeof(CounterFile));
    return to_int(ExitCode::DataError);
  }
  nlohmann::json j = *snap;
  fmt::print("{}\n", j.dump());
  return to_int(ExitCode::Ok);
}
