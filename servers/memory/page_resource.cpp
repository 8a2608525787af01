#include "memory/page_resource.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>

#include "memory/tool_hooks.hpp"

namespace wsalloc::memory {
namespace {

std::size_t page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t page_rounded(std::size_t bytes) noexcept { return (bytes + page_size() - 1) & ~(page_size() - 1); }

}  // namespace

// A mapping is page-aligned: a stricter alignment (none of the Areas asks one) goes upstream.
bool PageResource::mapped(std::size_t bytes, std::size_t align) const noexcept {
  return bytes >= threshold_ && align <= page_size();
}

void* PageResource::do_allocate(std::size_t bytes, std::size_t align) {
  if (!mapped(bytes, align)) return upstream_->allocate(bytes, align);
  if (bytes > SIZE_MAX - page_size()) throw std::bad_alloc();
  const std::size_t length = page_rounded(bytes);
  void* p = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ++maps_;
  mapped_bytes_ += length;
  hooks::heaptrack_alloc(p, length);
  return p;
}

void PageResource::do_deallocate(void* p, std::size_t bytes, std::size_t align) {
  if (!mapped(bytes, align)) {
    upstream_->deallocate(p, bytes, align);
    return;
  }
  const std::size_t length = page_rounded(bytes);
  hooks::heaptrack_free(p);
  hooks::asan_unpoison(p, length);  // the shadow of a range the kernel may hand to someone else
  ::munmap(p, length);
  ++unmaps_;
  mapped_bytes_ -= length;
}

}  // namespace wsalloc::memory
