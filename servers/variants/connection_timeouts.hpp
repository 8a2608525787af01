#pragma once
// connection_timeouts.hpp: what the worker's sweep (every 250 ms) does to one connection whose
// time is up: the handshake deadline, a peer that stopped taking our replies, an idle connection,
// and a close that lingers. Cost: a few compares per connection; formatting only when it closes one.
#include <chrono>

#include <fmt/format.h>

#include "core/close.hpp"
#include "variants/connection_link.hpp"
#include "variants/server_options.hpp"
#include "variants/session.hpp"

namespace wsalloc::variants {

template <class Conn>
[[gnu::noinline]] void close_idle(Conn& c, typename Conn::Clock::duration quiet, const ServerOptions& o) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  char why[core::kMaxCloseReason];
  const auto r = fmt::format_to_n(why, sizeof why, "idle {} ms > idle_timeout {} ms",
                                  duration_cast<milliseconds>(quiet).count(), o.idle_timeout.count());
  c.close(core::CloseCode::GoingAway, {why, r.size < sizeof why ? r.size : sizeof why});
}

// May close or abort `c` (which then leaves the worker's table: iterate so that is safe).
template <class Conn>
void enforce_timeouts(Conn& c, typename Conn::Clock::time_point now, const ServerOptions& o) {
  const auto quiet = now - c.since();
  switch (c.link()) {
    case LinkState::Live:
      if (c.session().phase() == SessionPhase::Handshaking && now - c.opened() > o.handshake_timeout) {
        c.abort();
      } else if (c.send_stalled(now, o.send_timeout)) {
        c.abort(/*reset=*/true);  // a close frame would only queue behind what it never takes
      } else if (o.idle_timeout.count() > 0 && quiet > o.idle_timeout) {
        close_idle(c, quiet, o);
      }
      break;
    case LinkState::Flushing:  // our last bytes are not taken: the peer stopped reading
      if (quiet > o.close_linger) c.abort(/*reset=*/true);
      break;
    case LinkState::Draining:  // all sent; the peer never closed its side
      if (quiet > o.close_linger) c.abort();
      break;
    case LinkState::Dead: break;
  }
}

}  // namespace wsalloc::variants
