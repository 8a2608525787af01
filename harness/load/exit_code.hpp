// wsload's exit codes (also what `wsload merge` returns). Stable: scripts and wsbench key off them.
// They follow the project's convention (README, "Exit codes"): 0 done and good, 1 done and
// failed, 2 bad command line or input, 3 and above named outcomes of this program.
#pragma once

namespace wsalloc::load {

enum class ExitCode : int {
  Ok = 0,
  Errors = 1,           // the run completed but counted mismatches, missing echoes, closes, ...
  Usage = 2,            // bad command line
  ConnectFailed = 3,    // no connection could be established (refused, unreachable, timed out)
  HandshakeFailed = 4,  // connections were accepted but no handshake succeeded
  Timeout = 5,          // the hard timeout fired: the results are partial
  Internal = 6,         // a system call failed that should not (epoll, eventfd, thread)
};

}  // namespace wsalloc::load
