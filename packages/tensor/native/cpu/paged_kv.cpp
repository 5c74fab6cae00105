// Paged KV cache kernels (paged_kv.h): write a step's k, v into blocks, attend over a sequence's blocks.
#include "paged_kv.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "async_kernel.h"
#include "kernels.h"
#include "rowops.h"

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
  int64_t longest = 0;
  for (int64_t i = 0; i < rows.N; i++) longest = std::max<int64_t>(longest, rows.positions[i] + 1);
  par(units, longest * Dh * 4, [&](int64_t u0, int64_t u1) {
    std::vector<float> score(static_cast<size_t>(longest));
    std::vector<float> acc(static_cast<size_t>(Dh));
    std::vector<float> buf(c.f16 ? static_cast<size_t>(BS * Dh) : 0);
    for (int64_t u = u0; u < u1; u++) {
      const int64_t i = u / H, h = u % H, n = rows.positions[i] + 1;  // keys [0, n)
      const int32_t* table = rows.tables[i];
      const float* qr = q + u * Dh;  // q [N, H, Dh]: row (i, h) is unit u
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j0 = 0; j0 < n; j0 += BS) {
        const int64_t m = std::min(BS, n - j0);
        const float* kb = block_rows(c, c.k, table[j0 / BS], h, buf.data(), m);
        for (int64_t j = 0; j < m; j++) {
          const float s = ops.dot(qr, kb + j * Dh, Dh) * scale;
          score[j0 + j] = s;
          mx = std::max(mx, s);
        }
      }
      const float sum = ops.exp_sub_sum(score.data(), mx, n);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t j0 = 0; j0 < n; j0 += BS) {
        const int64_t m = std::min(BS, n - j0);
        const float* vb = block_rows(c, c.v, table[j0 / BS], h, buf.data(), m);
        for (int64_t j = 0; j < m; j++) ops.axpy(score[j0 + j], vb + j * Dh, acc.data(), Dh);
      }
      const float inv = sum > 0 ? 1.0f / sum : 0.0f;
      float* yr = out + u * Dh;
      for (int64_t d = 0; d < Dh; d++) yr[d] = acc[d] * inv;
    }
  });
}

}  // namespace gptj
