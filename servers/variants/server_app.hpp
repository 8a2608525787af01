#pragma once
// server_app.hpp: the application wsalloc-server runs, chosen per connection by the request path.
//
//   /broadcast  every message is sent to every OTHER connection on /broadcast of this worker,
//               framed once (shared-buffer fan-out; Worker::publish)
//   /work       a handler with a fixed CPU cost (--work-us), run through poller.task() on the
//               chosen executor (--executor inline|pool); the echo goes out on the poller thread
//   anything    echo: every text and binary message back to its sender, type preserved
#include <span>
#include <string_view>

#include "core/frame.hpp"
#include "variants/replier.hpp"

namespace wsalloc::variants {

enum class Route : uint8_t { Echo, Broadcast, Work };

inline Route route_for(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/broadcast") return Route::Broadcast;
  if (path == "/work") return Route::Work;
  return Route::Echo;
}

template <class Worker>
class ServerApp {
 public:
  struct ConnState {
    Route route = Route::Echo;
    typename Worker::Conn* owner = nullptr;  // set by the connection before any byte arrives
    size_t group_index = 0;                  // position in the worker's broadcast group
    uint64_t id = 0;                         // /work: how a late completion finds its connection
  };

  explicit ServerApp(Worker& worker) : worker_(worker) {}

  void on_open(ConnState& st, std::string_view target) {
    st.route = route_for(target);
    if (st.route != Route::Echo) worker_.on_route_open(st);
  }

  void on_message(Replier& r, ConnState& st, core::Opcode op, std::span<const uint8_t> payload) {
    switch (st.route) {
      case Route::Echo: r.send(op, payload); return;
      case Route::Broadcast: worker_.publish(st, op, payload); return;
      case Route::Work: worker_.work(st, op, payload); return;
    }
  }

 private:
  Worker& worker_;
};

}  // namespace wsalloc::variants
