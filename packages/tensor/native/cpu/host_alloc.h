// Host memory for tensor storages.
//
// Why not plain malloc: on these machines a first touch of a fresh 4 KiB page costs tens of
// microseconds (measured: 466 ms to fault in 32 MiB, 6.7 ms with transparent huge pages), so an
// op that allocates its output afresh spends more time faulting pages than computing. Blocks of
// 4 KiB and more are therefore kept in a cache after free and reused for the next request of the
// same rounded size (4 KiB granules up to 64 KiB, then 64 KiB granules); blocks of 2 MiB and
// more are mmap'ed 2 MiB-aligned with MADV_HUGEPAGE.
// The cache holds at most GPTJ_HOST_CACHE_MB (default 1024) MiB of free blocks.
#pragma once
#include <cstddef>

namespace gptj {

// A block of at least `bytes` bytes, 64-byte aligned (2 MiB aligned when large); its real size is
// stored in *capacity and must be passed back to host_free. Returns nullptr when out of memory.
void* host_alloc(size_t bytes, size_t* capacity);
void host_free(void* p, size_t capacity);

}  // namespace gptj
