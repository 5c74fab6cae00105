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

struct Cache {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // capacity -> block
  size_t cached = 0;
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
    auto it = c.free_blocks.find(cap);
    if (it != c.free_blocks.end()) {
      void* p = it->second;
      c.free_blocks.erase(it);
      c.cached -= cap;
      return p;
    }
  }
  void* p = os_alloc(cap);
  if (!p) {  // out of memory: give the cache back to the OS and try once more
    std::multimap<size_t, void*> drop;
    {
      std::lock_guard<std::mutex> lock(c.mu);
      drop.swap(c.free_blocks);
      c.cached = 0;
    }
    for (auto& [sz, q] : drop) os_free(q, sz);
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
  std::multimap<size_t, void*> drop;
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.free_blocks.emplace(capacity, p);
    c.cached += capacity;
    // over the limit: release the largest blocks first (they are the cheapest to re-fault with huge pages)
    while (c.cached > c.limit && !c.free_blocks.empty()) {
      auto it = std::prev(c.free_blocks.end());
      c.cached -= it->first;
      drop.emplace(it->first, it->second);
      c.free_blocks.erase(it);
    }
  }
  for (auto& [sz, q] : drop) os_free(q, sz);
}

}  // namespace gptj
