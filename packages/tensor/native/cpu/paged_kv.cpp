// Paged KV cache kernels (paged_kv.h): write a step's k, v into blocks, attend over a sequence's blocks.
#include "paged_kv.h"

#include <algorithm>
#include <cstring>

#include "async_kernel.h"
#include "attend_query.h"
#include "kernels.h"

namespace gptj {

namespace {

// Element offset of (block, head, slot) in an arena [numBlocks, H, BS, Dh].
inline int64_t slot_offset(const PagedLayer& c, int64_t block, int64_t h, int64_t slot) {
  return ((block * c.H + h) * c.BS + slot) * c.Dh;
}

// Rows [j0, j0 + n) of one head inside a block, as f32: the arena itself when it is f32, else
// converted into buf [BS, Dh].
inline const float* block_rows(const PagedLayer& c, const void* arena, int64_t block, int64_t h, float* buf,
                               int64_t n) {
  const int64_t off = slot_offset(c, block, h, 0);
  if (!c.f16) return static_cast<const float*>(arena) + off;
  f16_to_f32(static_cast<const uint16_t*>(arena) + off, buf, n * c.Dh);
  return buf;
}

// Keys and values read by one paged_attention call below which it runs on one thread (see there).
constexpr int64_t kSerialKvBytes = int64_t(2) << 20;

// Keys of one unit beyond which it is not prefetched (as many bytes of values come with them).
constexpr int64_t kPrefetchBytes = int64_t(16) << 10;

// Asks for unit u's (row i = u / H, head h = u % H) keys and values ahead of use when they are few: a short
// context's blocks are scattered short streams for the hardware prefetcher, and fetching the next unit's while
// this one computes took 0.63-0.68 of the time of the same loop without it (32 rows of mini-code: 34 keys of
// 128 B, f32, one thread). A long context's 16-key blocks are streams it follows: there even the first 16 KiB of
// the next unit cost 1.14-1.15x the time without (4 sequences of 1030 keys, head dim 256, alternating in one process).
void prefetch_unit(const PagedLayer& c, const PagedRows& rows, int64_t u) {
  const int64_t i = u / c.H, h = u % c.H, n = rows.positions[i] + 1, elem = c.f16 ? 2 : 4;
  if (n * c.Dh * elem > kPrefetchBytes) return;
  for (int64_t j0 = 0; j0 < n; j0 += c.BS) {
    const int64_t off = slot_offset(c, rows.tables[i][j0 / c.BS], h, 0) * elem;
    const int64_t bytes = std::min(c.BS, n - j0) * c.Dh * elem;
    for (int64_t b = 0; b < bytes; b += 64) {
      __builtin_prefetch(static_cast<const char*>(c.k) + off + b);
      __builtin_prefetch(static_cast<const char*>(c.v) + off + b);
    }
  }
}

}  // namespace

void paged_kv_write(const PagedLayer& c, const PagedRows& rows, const float* k, const float* v) {
  const int64_t H = c.H, Dh = c.Dh;
  par(rows.N, H * Dh * 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) {
      const int64_t p = rows.positions[i], block = rows.tables[i][p / c.BS], slot = p % c.BS;
      for (int64_t h = 0; h < H; h++) {
        const float* ks = k + (i * H + h) * Dh;
        const float* vs = v + (i * H + h) * Dh;
        const int64_t dst = slot_offset(c, block, h, slot);
        if (c.f16) {
          f32_to_f16(ks, static_cast<uint16_t*>(c.k) + dst, Dh);
          f32_to_f16(vs, static_cast<uint16_t*>(c.v) + dst, Dh);
        } else {
          std::memcpy(static_cast<float*>(c.k) + dst, ks, static_cast<size_t>(Dh) * 4);
          std::memcpy(static_cast<float*>(c.v) + dst, vs, static_cast<size_t>(Dh) * 4);
        }
      }
    }
  });
}

void paged_attention(const PagedLayer& c, const PagedRows& rows, const float* q, float scale, float* out) {
  const RowOps& ops = rowops();
  const int64_t H = c.H, Dh = c.Dh, BS = c.BS, units = rows.N * H;
  int64_t longest = 0, keys = 0;
  for (int64_t i = 0; i < rows.N; i++) {
    longest = std::max<int64_t>(longest, rows.positions[i] + 1);
    keys += rows.positions[i] + 1;
  }
  auto body = [&](int64_t u0, int64_t u1) {
    AttendScratch& s = AttendScratch::get(longest, Dh, c.f16 ? BS * Dh : 0);
    if (u0 < u1) prefetch_unit(c, rows, u0);
    for (int64_t u = u0; u < u1; u++) {
      if (u + 1 < u1) prefetch_unit(c, rows, u + 1);
      const int64_t i = u / H, h = u % H, n = rows.positions[i] + 1;  // keys [0, n)
      const int32_t* table = rows.tables[i];
      // q [N, H, Dh]: row (i, h) is unit u; each block is one run of keys
      attend_query(ops, q + u * Dh, Dh, scale, n, s, out + u * Dh, [&](bool values, const auto& fn) {
        for (int64_t j0 = 0; j0 < n; j0 += BS) {
          const int64_t m = std::min(BS, n - j0);
          fn(block_rows(c, values ? c.v : c.k, table[j0 / BS], h, s.buf.data(), m), m);
        }
      });
    }
  };
  // Short contexts run on this thread alone: a 32-row mini-code layer (1 MiB of f32 keys and values) took
  // 0.87-0.96 of the wall time on one thread that it took split over two (the reads from L3 or memory bound
  // both; the hand-off costs more than it shares), at half the CPU (bench/pool-step.mjs 32 with timers, 3 runs).
  const int64_t kv_bytes = keys * H * Dh * 2 * (c.f16 ? 2 : 4);
  if (kv_bytes < kSerialKvBytes)
    body(0, units);
  else
    parallel_for(units, body);
}

}  // namespace gptj
