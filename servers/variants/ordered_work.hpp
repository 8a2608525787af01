#pragma once
// ordered_work.hpp: the /work route's state: a fixed-cost handler per message, run through
// poller.task() on the chosen executor, its replies sent from the poller thread in the order the
// messages arrived (a pool of several threads finishes them in any order).
//
// Owner: the thread's ServerApp. A connection is known by an id, never by its pointer once work is
// in flight: a completion that arrives after the connection closed finds no id and is dropped.
// Cost: per message a std::function task and a copy of the payload (the reply is sent later, from
// memory that outlives the receive buffer): /work measures executors, not allocation.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/frame.hpp"
#include "net/executor.hpp"
#include "net/poller.hpp"
#include "variants/busy_work.hpp"

namespace wsalloc::variants {

template <class Conn>
class OrderedWork {
 public:
  // executor: where the handlers run (null = inline on the poller thread).
  OrderedWork(net::Poller& poller, std::chrono::microseconds cost, net::Executor* executor)
      : poller_(poller), cost_(cost), executor_(executor) {}

  // Returns the connection's id.
  uint64_t open(Conn* c) {
    const uint64_t id = ++next_id_;
    State s;
    s.conn = c;
    conns_.emplace(id, std::move(s));
    return id;
  }
  void close(uint64_t id) noexcept { conns_.erase(id); }

  void submit(uint64_t id, core::Opcode op, std::span<const uint8_t> payload) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    const uint64_t seq = it->second.next_assigned++;
    poller_.task([cost = cost_] { burn_cpu(cost); },
                 [this, id, seq, op, copy = std::string(payload.begin(), payload.end())]() mutable {
                   finished(id, seq, op, std::move(copy));
                 },
                 executor_);
  }

 private:
  // On the poller thread: keep the reply, then send every reply that is next in line.
  void finished(uint64_t id, uint64_t seq, core::Opcode op, std::string bytes) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // the connection is gone
    State& s = it->second;
    s.done.emplace(seq, std::make_pair(op, std::move(bytes)));
    for (auto f = s.done.begin(); f != s.done.end() && f->first == s.next_sent; f = s.done.erase(f), ++s.next_sent) {
      const std::string& b = f->second.second;
      s.conn->send_later(f->second.first, {reinterpret_cast<const uint8_t*>(b.data()), b.size()});
      if (conns_.find(id) == conns_.end()) return;  // send_later may close it (and erase `s`)
    }
  }

  struct State {
    Conn* conn = nullptr;
    uint64_t next_assigned = 0;  // sequence number of the next message handed to the executor
    uint64_t next_sent = 0;      // sequence number of the next reply to send
    std::map<uint64_t, std::pair<core::Opcode, std::string>> done;  // finished, waiting for a gap
  };
  net::Poller& poller_;
  std::chrono::microseconds cost_;
  net::Executor* executor_;
  std::unordered_map<uint64_t, State> conns_;
  uint64_t next_id_ = 0;
};

}  // namespace wsalloc::variants
