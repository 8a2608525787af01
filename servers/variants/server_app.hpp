#pragma once
// server_app.hpp: the application wsalloc-server runs, chosen per connection by the request path.
//
//   /broadcast  every message is sent to every OTHER connection on /broadcast, on every poller
//               thread, framed once (broadcast_group.hpp; across threads: broadcast_hub.hpp)
//   /work       a handler with a fixed CPU cost (--work-us), run through poller.task() on the
//               chosen executor (--executor inline|pool); the echo goes out on the poller thread,
//               in arrival order (ordered_work.hpp)
//   anything    echo: every text and binary message back to its sender, type preserved
//
// One ServerApp per poller thread. It owns the route state (the thread's broadcast members, its
// /work connections); the worker that accepts connections only tells it when one closes
// (on_close) and when the loop ends (on_loop_end). Nothing here calls back into the worker.
#include <span>
#include <string>
#include <string_view>

#include "core/frame.hpp"
#include "net/poller.hpp"
#include "variants/broadcast_group.hpp"
#include "variants/ordered_work.hpp"
#include "variants/replier.hpp"
#include "variants/server_options.hpp"

namespace wsalloc::variants {

enum class Route : uint8_t { Echo, Broadcast, Work };

inline Route route_for(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/broadcast") return Route::Broadcast;
  if (path == "/work") return Route::Work;
  return Route::Echo;
}

template <class Conn>
class ServerApp {
 public:
  struct ConnState {
    Route route = Route::Echo;
    Conn* owner = nullptr;    // set by the connection before any byte arrives
    size_t group_index = 0;   // position among this thread's broadcast members
    uint64_t id = 0;          // /work: how a late completion finds its connection
  };

  // hub: shared by every poller thread (null with one thread); `thread` is this one's index in it.
  // work_executor: where /work handlers run (null = inline on this poller thread).
  ServerApp(net::Poller& poller, const ServerOptions& options, BroadcastHub* hub, unsigned thread,
            net::Executor* work_executor)
      : poller_(poller), hub_(hub), thread_(thread), broadcast_(hub, thread),
        work_(poller, options.work_cost, work_executor) {
    // Other threads' messages are drained on this thread, after its event batch (phase 4). The hub
    // keeps one wake-up pending at most; with room for two (and a shutdown request) reserved now,
    // posting one never allocates, whichever thread publishes first.
    if (hub_) {
      poller_.reserve_completions(2);
      hub_->attach(thread_, [this] { poller_.post_completion([this] { broadcast_.on_wake(); }); });
    }
  }

  void on_open(ConnState& st, std::string_view target) {
    st.route = route_for(target);
    if (st.route == Route::Broadcast) broadcast_.join(st.owner, &st.group_index);
    if (st.route == Route::Work) st.id = work_.open(st.owner);
  }

  void on_message(Replier& r, ConnState& st, core::Opcode op, std::span<const uint8_t> payload) {
    switch (st.route) {
      case Route::Echo: r.send(op, payload); return;
      case Route::Broadcast: broadcast_.publish(st.owner, op, payload); return;
      case Route::Work: work_.submit(st.id, op, payload); return;
    }
  }

  // The connection is gone (before it is freed).
  void on_close(ConnState& st) noexcept {
    if (st.route == Route::Broadcast) broadcast_.leave(st.owner, &st.group_index);
    if (st.route == Route::Work) work_.close(st.id);
    st.route = Route::Echo;
  }

  // This thread's loop has ended: the other threads stop waiting for it to read their messages.
  void on_loop_end() noexcept {
    if (hub_) hub_->detach(thread_);
  }

  size_t broadcast_members() const noexcept { return broadcast_.size(); }  // on this thread
  std::string stats_json() const { return "{\"broadcast\":" + broadcast_.stats_json() + "}"; }

 private:
  net::Poller& poller_;
  BroadcastHub* hub_;
  unsigned thread_;
  BroadcastGroup<Conn> broadcast_;
  OrderedWork<Conn> work_;
};

}  // namespace wsalloc::variants
