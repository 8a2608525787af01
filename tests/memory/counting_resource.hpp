// counting_resource.hpp — test upstream: counts what reaches it, can be told to fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>

namespace wsalloc::memory::test {

class CountingResource final : public std::pmr::memory_resource {
 public:
  std::uint64_t allocations = 0;
  std::uint64_t deallocations = 0;
  std::size_t outstanding_bytes = 0;
  std::size_t outstanding() const noexcept { return allocations - deallocations; }
  // The next `n` allocations succeed, the one after throws std::bad_alloc; SIZE_MAX: never.
  std::size_t fail_after = SIZE_MAX;

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    if (fail_after == 0) throw std::bad_alloc();
    if (fail_after != SIZE_MAX) --fail_after;
    void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
    ++allocations;
    outstanding_bytes += bytes;
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    ++deallocations;
    outstanding_bytes -= bytes;
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
};

}  // namespace wsalloc::memory::test
