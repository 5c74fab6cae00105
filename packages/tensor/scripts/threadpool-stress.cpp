// Stress driver for native/cpu/threadpool.cpp, built by cross-check.sh for aarch64 (futex path, run under
// qemu) and for this host with __linux__ undefined (the condition-variable path macOS takes): many short
// regions at several pool sizes, each checked to cover [0, n) exactly once, plus an exception in a chunk and
// pool rebuilds between regions.
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "cpu/kernels.h"

int main() {
  for (int threads : {1, 2, 3, 8}) {
    gptj::set_num_threads(threads);
    for (int64_t region = 0; region < 20000; ++region) {
      const int64_t n = 1 + region % 97;
      std::vector<std::atomic<int>> hits(n);
      gptj::parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i)
        if (hits[i].load() != 1) {
          std::fprintf(stderr, "threads %d region %lld: index %lld run %d times\n", threads, (long long)region,
                       (long long)i, hits[i].load());
          return 1;
        }
    }
    bool thrown = false;
    try {
      gptj::parallel_for(64, [](int64_t b, int64_t) {
        if (b == 0) throw std::runtime_error("chunk 0");
      });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    if (!thrown) {
      std::fprintf(stderr, "threads %d: a chunk's exception was not rethrown\n", threads);
      return 1;
    }
  }
  // Resizes between regions: each rebuilds the pool, so a pool of 8 is built, runs one region (which its
  // caller may finish alone) and is destroyed, often before some of its workers first ran. A worker that
  // started after the destructor's wake-up once read the bumped word as its baseline and slept forever,
  // with the destructor joining it (setNumThreads alternating 1 and 16 hung a test process).
  for (int resize = 0; resize < 2000; ++resize) {
    gptj::set_num_threads(resize % 2 == 0 ? 8 : 3);
    std::atomic<int64_t> covered{0};
    gptj::parallel_for(16, [&](int64_t b, int64_t e) { covered.fetch_add(e - b); });
    if (covered.load() != 16) {
      std::fprintf(stderr, "resize %d: covered %lld of 16\n", resize, (long long)covered.load());
      return 1;
    }
  }
  std::puts("threadpool stress: ok");
  return 0;
}
