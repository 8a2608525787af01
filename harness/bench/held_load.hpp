// HeldLoad: the load of a held server (precision rounds, precision_blocks.hpp): one `wsload --hold`
// process, connected once, measuring one window per run on the same connections.
//
// Why: a wsload per run spent 0.1-0.3 s of each ~0.5-s round run on set-up and the Close
// handshakes (1,000 connections: 0.06 s to connect, 0.2 s to close), time the rounds could measure
// in. Each window(...) writes "window W D" on wsload's stdin and is a LoadRun like a local
// wsload's: the window markers come from stderr as they happen, the run is over at "wsload: window
// done", and the result is the JSON line the window printed.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bench/child_process.hpp"
#include "bench/load_run.hpp"

namespace wsalloc::bench {

class HeldLoad {
 public:
  // `argv`: the whole command (taskset prefix included), --hold and --json among its arguments.
  // Throws std::system_error when it cannot be started.
  explicit HeldLoad(std::vector<std::string> argv);
  ~HeldLoad();  // close()
  HeldLoad(const HeldLoad&) = delete;
  HeldLoad& operator=(const HeldLoad&) = delete;

  // The next window, `warmup_s` then `duration_s` on the open connections. One at a time: the
  // previous window's LoadRun must be over (or aborted) first.
  std::unique_ptr<LoadRun> window(double warmup_s, double duration_s);
  // End of input: wsload closes its connections and exits; killed after `grace`.
  void close(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

  const std::string& command() const noexcept { return command_; }

 private:
  friend class HeldWindow;
  // Reads what wsload printed (non-blocking); false once both pipes are at end of file.
  void drain();

  ChildProcess child_;
  std::string command_;
  std::string out_, err_;
  size_t out_used_ = 0, err_scanned_ = 0;
  bool out_open_ = true, err_open_ = true;
  unsigned windows_ = 0;
};

}  // namespace wsalloc::bench
