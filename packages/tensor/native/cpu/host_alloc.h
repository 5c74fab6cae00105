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

// For a block reserved large but written a little at a time in many places, such as a session's KV cache
// (every (layer, row, head) holds its own run of positions): sparse = true gives it 4 KiB pages, even where
// transparent huge pages are "always", so the memory touched grows with what is written; on 2 MiB pages a
// 6B session's first 64-token prefill touched one huge page per head, 1.8 GB to hold 58 MB of keys and values.
// sparse = false asks for huge pages again: call it before host_free, so that the cache hands the block to
// other requests as it found it. Blocks under 2 MiB (not mapped) are left as they are.
void host_advise_sparse(void* p, size_t capacity, bool sparse);

}  // namespace gptj
