#pragma once
// broadcast_group.hpp: the /broadcast members of one poller thread, and how a message reaches
// every member of every thread.
//
// Owner: the thread's ServerApp (route state belongs to the application, not to the worker that
// accepts connections). Members: their connections, in a vector (swap-remove; each member's slot
// remembers its index, so leaving is O(1)); its capacity is kept, so joining allocates only when
// the group is larger than it ever was.
//
// publish(): the frame header is written once, on the stack; the frame (header + the payload where
// it lies) goes into the thread's ring for the other threads (broadcast_hub.hpp), then to every
// local member but the publisher. drain(): the other threads' messages, to every local member.
// Either way a member writes what its socket takes now and copies only the rest into its backlog
// (Conn::deliver), which closes it 1008 past --max-backlog: a slow member never holds anyone up.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "variants/broadcast_hub.hpp"

namespace wsalloc::variants {

template <class Conn>
class BroadcastGroup {
 public:
  // hub: null (or one thread) = no other thread to reach.
  BroadcastGroup(BroadcastHub* hub, unsigned thread) : hub_(hub && hub->threads() > 1 ? hub : nullptr), thread_(thread) {}

  // `slot` (the member's own index storage) must live as long as the membership.
  void join(Conn* c, size_t* slot) {
    *slot = members_.size();
    members_.push_back({c, slot});
  }
  void leave(Conn* c, size_t* slot) noexcept {
    const size_t i = *slot;
    if (i >= members_.size() || members_[i].conn != c) return;
    members_[i] = members_.back();
    *members_[i].slot = i;
    members_.pop_back();
  }

  void publish(Conn* from, core::Opcode op, std::span<const uint8_t> payload) {
    uint8_t header[core::kMaxFrameHeader];
    const size_t h = core::write_frame_header(header, op, true, payload.size());
    const iovec frame[2] = {{header, h}, {const_cast<uint8_t*>(payload.data()), payload.size()}};
    // While the ring is full, this thread takes in the other threads' messages (see the hub).
    if (hub_) hub_->publish(thread_, frame, [this] { drain(); });
    ++published_;
    deliver_local(frame, from);
  }

  // This thread's wake-up (a completion the hub asked its poller to run): drain, and be woken again.
  void on_wake() {
    if (!hub_) return;
    hub_->woken(thread_);
    drain();
  }

  // The other threads' messages since the last drain, to every member here.
  void drain() {
    if (!hub_) return;
    remote_messages_ += hub_->drain(thread_, [this](std::span<const uint8_t> bytes) {
      const iovec frame[1] = {{const_cast<uint8_t*>(bytes.data()), bytes.size()}};
      remote_deliveries_ += members_.size();
      deliver_local(frame, nullptr);
    });
  }

  size_t size() const noexcept { return members_.size(); }

  std::string stats_json() const {
    return "{\"members\":" + std::to_string(members_.size()) + ",\"published\":" + std::to_string(published_) +
           ",\"from_other_threads\":" + std::to_string(remote_messages_) +
           ",\"deliveries_from_other_threads\":" + std::to_string(remote_deliveries_) +
           ",\"ring\":" + (hub_ ? hub_->stats_json(thread_) : std::string("null")) + "}";
  }

 private:
  void deliver_local(std::span<const iovec> frame, Conn* except) {
    // Backwards: a member that fails is swap-removed (leave), which only moves an entry already
    // visited into its place.
    for (size_t i = members_.size(); i-- > 0;) {
      if (i >= members_.size()) continue;
      if (Conn* m = members_[i].conn; m != except) m->deliver(frame);
    }
  }

  struct Member {
    Conn* conn;
    size_t* slot;
  };
  BroadcastHub* hub_;
  unsigned thread_;
  std::vector<Member> members_;
  uint64_t published_ = 0, remote_messages_ = 0, remote_deliveries_ = 0;
};

}  // namespace wsalloc::variants
