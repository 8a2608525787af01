#pragma once
// pool_plan.hpp: the pool variant's MemoryPlan — the shared pmr pipeline on one size-class pool
// per poller thread. Every lifetime (message, send-queue node, connection buffers) takes chunks
// from it and gives them back to its class's free list: recycled, never freed, so after a warm-up
// that has seen the largest message the steady state makes no heap allocation.
// Classes reach 32 MiB so that a 16 MiB message (the default max-message) plus its header and the
// frame vector's doubling stay inside the pool.
#include <string>

#include "memory/size_class_pool.hpp"
#include "variants/memory_plan.hpp"

namespace wsalloc::variants {

class PoolPlan final : public MemoryPlan {
 public:
  PoolPlan();

  std::pmr::memory_resource* message() noexcept override { return &pool_; }
  std::pmr::memory_resource* send() noexcept override { return &pool_; }
  std::pmr::memory_resource* acquire_connection() override { return &pool_; }
  void release_connection(std::pmr::memory_resource*) noexcept override {}
  void trim_idle() noexcept override;
  std::string stats_json() const override;

 private:
  memory::SizeClassPool pool_;
};

}  // namespace wsalloc::variants
