// Linux-only mmap/madvise flags, as no-ops where the OS lacks them (macOS, the BSDs), so each mapping
// site states what it wants once. Private header.
#pragma once
#include <sys/mman.h>

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

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

// Maps the pages of [p, p + n) of a file mapping now, reading them from the file where they are not
// cached: Linux 5.14+'s MADV_POPULATE_READ, else (EINVAL: an older kernel) MADV_WILLNEED, which only starts
// reading them into the page cache. Why: a weight handed out as a view of the mapped file was otherwise
// mapped page by page by the first forward pass, on its compute threads (8-18% of a 6B f16 prefill's CPU
// time was page faults). Any other failure is left to the faults it would have been. $GPTJ_MMAP_POPULATE=0
// turns it off (a view then costs nothing until read, as before).
inline void populate_pages(void* p, size_t n) {
  static const bool enabled = [] {
    const char* env = std::getenv("GPTJ_MMAP_POPULATE");
    return !(env && std::strcmp(env, "0") == 0);
  }();
  if (!enabled || n == 0) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  const size_t len = reinterpret_cast<uintptr_t>(p) + n - start;
#ifdef MADV_POPULATE_READ
  if (madvise(reinterpret_cast<void*>(start), len, MADV_POPULATE_READ) == 0 || errno != EINVAL) return;
#endif
#ifdef MADV_WILLNEED
  madvise(reinterpret_cast<void*>(start), len, MADV_WILLNEED);
#endif
}

}  // namespace gptj
