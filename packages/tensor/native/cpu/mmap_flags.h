// Linux-only mmap/madvise flags, as no-ops where the OS lacks them (macOS, the BSDs), so each mapping
// site states what it wants once. Private header.
#pragma once
#include <sys/mman.h>

#include <cstddef>

namespace gptj {

// Reserve no swap for a private copy-on-write file mapping (Linux; macOS reserves none anyway).
#ifdef MAP_NORESERVE
constexpr int kMapNoReserve = MAP_NORESERVE;
#else
constexpr int kMapNoReserve = 0;
#endif

// Asks for transparent huge pages on [p, p + n): Linux's MADV_HUGEPAGE; nothing elsewhere.
inline void advise_huge_pages(void* p, size_t n) {
#ifdef MADV_HUGEPAGE
  madvise(p, n, MADV_HUGEPAGE);
#else
  (void)p;
  (void)n;
#endif
}

}  // namespace gptj
