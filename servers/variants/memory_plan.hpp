#pragma once
// memory_plan.hpp: the one thing a variant decides — which memory_resource backs each lifetime.
//
// Lifetimes of the shared pmr pipeline (one MemoryPlan per poller thread, single-threaded):
//   message()     the message string and the response vector; reset by after_message() once a
//                 message is fully processed (its reply is queued).
//   send()        send-queue nodes; they live from enqueue to the end of the event's flush (what
//                 the socket does not take is copied into the connection's backlog).
//   connection    one resource per connection (frame vector, backlog, node list): acquired by
//                 acquire_connection() at open, given back by release_connection() at close.
// Hooks, not lifetimes with a resource of their own: after_message() when a message is done,
// after_iteration() at the end of every event-loop iteration (after every event of it has
// flushed: the arena resets its send area there), trim_idle() every sweep (250 ms).
// The malloc plan answers new_delete_resource() everywhere: the honest baseline.
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "variants/connection_deflate.hpp"

namespace wsalloc::variants {

// Idle memory a pool keeps ready per poller thread after a periodic trim (free chunks of 256 KiB
// and more whose pages stay resident), as the arena's idle areas keep 4 MiB of grown blocks:
// enough for a reconnecting client of a large-message workload, not for one-off peaks (slow
// consumers' backlogs: MiBs each) to stay resident.
inline constexpr size_t kIdlePoolKeepBytes = size_t{4} << 20;

enum class Allocator : uint8_t {
  Variant,   // the variant's own memory strategy
  Standard,  // forced back to std allocators (--allocator std): the fallback mechanism
};

class MemoryPlan {
 public:
  virtual ~MemoryPlan() = default;

  virtual std::pmr::memory_resource* message() noexcept = 0;
  virtual std::pmr::memory_resource* send() noexcept = 0;
  virtual std::pmr::memory_resource* acquire_connection() = 0;
  virtual void release_connection(std::pmr::memory_resource* r) noexcept = 0;

  virtual void after_message() noexcept {}
  virtual void after_iteration() noexcept {}
  // Called periodically (the worker's sweep, every 250 ms): a chance to give idle memory back.
  virtual void trim_idle() noexcept {}
  // Whether deallocating from a connection resource gives the memory back (heap, pool), rather than
  // only at the resource's reset (an area): if not, trimming a buffer only wastes the area.
  virtual bool gives_back_connection_memory() const noexcept { return true; }

  // Page mappings this plan made itself (no malloc counter sees them; the zero-allocation proofs
  // add them): cumulative. 0 for plans that map nothing themselves.
  virtual uint64_t page_maps() const noexcept { return 0; }

  // Statistics as a JSON object text (areas' high-water marks, pools' hit rates): for /stats and
  // the report printed on exit.
  virtual std::string stats_json() const = 0;

  // permessage-deflate: the thread's inflate window (connection_deflate.hpp), made at first use.
  std::span<uint8_t> inflate_window() { return inflate_window_.get(); }

  // The message lifetime for a holder that outlives one message (a connection's zlib streams):
  // forwards every call to message() as it is at that moment, because a plan may replace its
  // message resource between messages (the arena rebuilds a grown area). A stream's allocations
  // and frees all fall within one message, so they reach the same resource.
  std::pmr::memory_resource* current_message() noexcept { return &current_message_; }

 private:
  class CurrentMessage final : public std::pmr::memory_resource {
   public:
    explicit CurrentMessage(MemoryPlan& plan) noexcept : plan_(plan) {}

   private:
    void* do_allocate(size_t n, size_t align) override { return plan_.message()->allocate(n, align); }
    void do_deallocate(void* p, size_t n, size_t align) override { plan_.message()->deallocate(p, n, align); }
    bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
    MemoryPlan& plan_;
  };

  InflateWindow inflate_window_;
  CurrentMessage current_message_{*this};
};

// All lifetimes on the global heap.
class StandardPlan final : public MemoryPlan {
 public:
  std::pmr::memory_resource* message() noexcept override { return std::pmr::new_delete_resource(); }
  std::pmr::memory_resource* send() noexcept override { return std::pmr::new_delete_resource(); }
  std::pmr::memory_resource* acquire_connection() override { return std::pmr::new_delete_resource(); }
  void release_connection(std::pmr::memory_resource*) noexcept override {}
  std::string stats_json() const override { return R"({"resources":"new_delete"})"; }
};

}  // namespace wsalloc::variants
