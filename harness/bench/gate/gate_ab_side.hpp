// One build's side of an A/B pair (gate_ab.hpp): its own fresh wsalloc-server and one held wsload,
// connected once and warmed up, then measured one window at a time. The two sides of a pair live
// together so their measured windows can alternate (ABBA) a few tens of milliseconds apart.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/gate/gate_ab.hpp"
#include "bench/held_load.hpp"
#include "bench/server_launch.hpp"

namespace wsalloc::bench::gate {

// The base failing is not the candidate's fault: it ends the A/B (NotDone), not the gate.
struct BaseFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SidePlace {
  const std::string& variant;
  bool base;
  uint32_t block;
  uint32_t attempt;
};

class AbSide {
 public:
  // Starts the server (CPU 0 when pinned) and its held wsload (CPU 1), and runs the warm-up window.
  // Throws BaseFailed (the base side) or GateHarnessError (the candidate's).
  AbSide(const AbOptions& o, const SidePlace& at);
  ~AbSide();  // wsload closes its connections, the server is stopped
  AbSide(const AbSide&) = delete;
  AbSide& operator=(const AbSide&) = delete;

  // One measured window, added to run(); returns its server CPU ns per message. The server's CPU
  // is read while it is idle on both sides (before the command, and once every echo is back), so
  // neither set-up, nor the warm-up, nor the Close handshakes are in it.
  double measure_window();
  const AbRun& run() const noexcept { return run_; }
  AbRun& run() noexcept { return run_; }

 private:
  nlohmann::json held_window(const char* which);
  [[noreturn]] void fail(const std::string& what) const;

  const AbOptions& o_;
  RunningServer server_;
  std::optional<HeldLoad> load_;
  AbRun run_;
};

}  // namespace wsalloc::bench::gate
