// Caching host allocator (see host_alloc.h for why).
#include "host_alloc.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>

#include "mmap_flags.h"

namespace gptj {

namespace {
constexpr size_t kSmall = size_t(4) << 10;    // below: plain aligned_alloc, not cached
constexpr size_t kMedium = size_t(64) << 10;  // below: 4 KiB granules, above: 64 KiB granules
constexpr size_t kHuge = size_t(2) << 20;     // from here: mmap + huge pages, 2 MiB granules

// Over the limit, mapped blocks (2 MiB and more) are not unmapped at once but given back lazily (MADV_FREE,
// Linux 4.5+): the kernel takes their pages only when it needs memory, and a block reused before that costs
// no page faults. Why: a 6B session's KV cache is two blocks of 0.94 GB; freed together they exceed the 1 GiB
// limit, one was unmapped, and the next session faulted it in again (0.46-0.68 s of system CPU in each 64-token
// prefill after the first, about 10% of its CPU; none with the block kept). Lazily freed blocks still count in
// the process's RSS until reclaimed; at most kLazyLimits times the limit are kept, the largest unmapped first.
#ifdef MADV_FREE
constexpr size_t kLazyLimits = 4;
#else
constexpr size_t kLazyLimits = 0;  // no MADV_FREE: unmap at once, as before
#endif

struct Cache {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // capacity -> block
  std::multimap<size_t, void*> lazy_blocks;  // capacity -> block given back with MADV_FREE
  size_t cached = 0;
  size_t lazy = 0;
  size_t limit = 0;
  Cache() {
    const char* env = std::getenv("GPTJ_HOST_CACHE_MB");
    long mb = env ? std::strtol(env, nullptr, 10) : 1024;
    limit = mb > 0 ? static_cast<size_t>(mb) << 20 : 0;
  }
};
Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: blocks may be freed during process teardown
  return *c;
}

size_t round_up(size_t n, size_t g) { return (n + g - 1) / g * g; }

void* os_alloc(size_t cap) {
  if (cap < kHuge) return std::aligned_alloc(64, cap);
  // over-allocate by one granule to align the block to 2 MiB, then trim the ends
  size_t span = cap + kHuge;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = round_up(base, kHuge);
  if (aligned > base) munmap(raw, aligned - base);
  size_t tail = base + span - (aligned + cap);
  if (tail) munmap(reinterpret_cast<void*>(aligned + cap), tail);
  void* p = reinterpret_cast<void*>(aligned);
  advise_huge_pages(p, cap);
  return p;
}

void os_free(void* p, size_t cap) {
  if (cap < kHuge)
    std::free(p);
  else
    munmap(p, cap);
}

// MADV_FREE on a block's pages; false where that is not available (the block is then unmapped).
bool give_back_lazily(void* p, size_t n) {
#ifdef MADV_FREE
  return madvise(p, n, MADV_FREE) == 0;
#else
  (void)p;
  (void)n;
  return false;
#endif
}

// Pops a block of exactly `cap` bytes from `blocks`, or nullptr.
void* take(std::multimap<size_t, void*>& blocks, size_t& total, size_t cap) {
  auto it = blocks.find(cap);
  if (it == blocks.end()) return nullptr;
  void* p = it->second;
  blocks.erase(it);
  total -= cap;
  return p;
}

// Moves the largest blocks of `from` into `to` until `total` is at most `limit`.
void evict_largest(std::multimap<size_t, void*>& from, size_t& total, size_t limit, std::multimap<size_t, void*>& to) {
  while (total > limit && !from.empty()) {
    auto it = std::prev(from.end());
    total -= it->first;
    to.emplace(it->first, it->second);
    from.erase(it);
  }
}
}  // namespace

void* host_alloc(size_t bytes, size_t* capacity) {
  if (bytes < kSmall) {
    *capacity = round_up(bytes == 0 ? 64 : bytes, 64);
    return std::aligned_alloc(64, *capacity);
  }
  size_t cap = bytes < kMedium ? round_up(bytes, kSmall)
               : bytes < kHuge ? round_up(bytes, kMedium)
                               : round_up(bytes, kHuge);
  *capacity = cap;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (void* p = take(c.free_blocks, c.cached, cap)) return p;
    if (void* p = take(c.lazy_blocks, c.lazy, cap)) return p;  // its pages are back, or refault on first touch
  }
  void* p = os_alloc(cap);
  if (!p) {  // out of memory: give the cache back to the OS and try once more
    std::multimap<size_t, void*> drop, drop_lazy;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      drop.swap(c.free_blocks);
      drop_lazy.swap(c.lazy_blocks);
      c.cached = 0;
      c.lazy = 0;
    }
    for (auto& [sz, q] : drop) os_free(q, sz);
    for (auto& [sz, q] : drop_lazy) os_free(q, sz);
    p = os_alloc(cap);
  }
  return p;
}

void host_free(void* p, size_t capacity) {
  if (!p) return;
  if (capacity < kSmall) {
    std::free(p);
    return;
  }
  Cache& c = cache();
  std::multimap<size_t, void*> over, lazy, drop;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.free_blocks.emplace(capacity, p);
    c.cached += capacity;
    // over the limit: the largest blocks leave first (the fewest blocks to give back)
    evict_largest(c.free_blocks, c.cached, c.limit, over);
  }
  // Advised before another thread can take the block: pages it writes after this are kept.
  for (auto& [sz, q] : over) (sz >= kHuge && give_back_lazily(q, sz) ? lazy : drop).emplace(sz, q);
  if (!lazy.empty()) {
    std::lock_guard<std::mutex> lock(c.mu);
    for (auto& [sz, q] : lazy) {
      c.lazy_blocks.emplace(sz, q);
      c.lazy += sz;
    }
    evict_largest(c.lazy_blocks, c.lazy, kLazyLimits * c.limit, drop);
  }
  for (auto& [sz, q] : drop) os_free(q, sz);
}

void host_advise_sparse(void* p, size_t capacity, bool sparse) {
  if (!p || capacity < kHuge) return;
  if (!sparse) return advise_huge_pages(p, capacity);
#ifdef MADV_NOHUGEPAGE
  madvise(p, capacity, MADV_NOHUGEPAGE);
#endif
}

}  // namespace gptj
