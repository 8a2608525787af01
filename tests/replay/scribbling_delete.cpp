// scribbling_delete.cpp: in the replay test binary, heap memory is overwritten (0xDB) when it is
// freed, before it goes back to malloc: a debug heap's habit. A use after free then reads bytes
// that cannot pass for the original, in a Release build too, instead of bytes that only happen to
// be intact because malloc has not reused the block yet (how the zerocopy use-after-free of
// issue 13 stayed invisible). Under ASan this file compiles to nothing: ASan reports the use itself.
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "memory/tool_hooks.hpp"

#if !WSALLOC_ASAN
namespace {
void scribble_and_free(void* p) noexcept {
  if (p == nullptr) return;
  std::memset(p, 0xDB, malloc_usable_size(p));
  // A store right before free() is dead to the optimiser, which would drop the memset: the empty
  // asm claims to read the memory, so the bytes are written.
  asm volatile("" : : "r"(p) : "memory");
  std::free(p);
}
}  // namespace

// operator new (libstdc++) takes its memory from malloc / aligned_alloc, so free() matches it.
void operator delete(void* p) noexcept { scribble_and_free(p); }
void operator delete[](void* p) noexcept { scribble_and_free(p); }
void operator delete(void* p, std::size_t) noexcept { scribble_and_free(p); }
void operator delete[](void* p, std::size_t) noexcept { scribble_and_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { scribble_and_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { scribble_and_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { scribble_and_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { scribble_and_free(p); }
#endif
