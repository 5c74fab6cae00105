// AVX-512 GEMM for linear when K is small and x has many rows (gemm_kernels.h gemm_small_k): the bundled
// mini-code model's lm_head at the sequence pool's 32 rows (x [32, 128] f32 against W [50400, 128] f16).
//
// Why not the dot-product GEMM (gemm_dot_avx512.cpp) there: with K = 128 each of its outputs is 8 FMAs
// into a 16-lane accumulator and then a horizontal reduction, so the shuffles, the spills of its 24
// accumulators and the per-tile set-up cost as much as the FMAs. Here no sum is split across lanes: x is
// packed once per call into MR-row panels [k][MR]; 32 rows of W at a time are converted to f32 rows and
// transposed into an L1 panel [k][32] (the packed GEMM's pack_w: 16x16 transposes in registers, paid once
// for all the rows of x); the packed GEMM's 12 x 32 register tile then broadcasts x and accumulates whole
// vectors of outputs, stored as full vectors. W is still read from memory once per call.
//
// Each y[m, n] is one FMA chain over k = 0 .. K-1 from zero, then + bias (q8's row scale multiplies W as
// it is converted): the same whatever the other rows of x, the tile it lands in or the thread.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "gemm_kernels.h"
#include "gemv_avx512.h"
#include "q4.h"

namespace gptj::avx512 {
namespace {

// Panels of 32 W rows per task: 8 KiB each of f16 at K = 128, so a task is a few microseconds and the
// pool's chunks stay balanced over the lm_head's 1,575 panels.
constexpr int64_t kPanelsPerTask = 8;
// How many panels ahead W is asked into L1. Measured (scripts/lmhead-gemm.mjs, M = 32, one process, the
// variants alternated): without prefetch the conversion waited on memory for a third of the time (perf);
// the whole next panel asked for at once before converting this one gained nothing; spread over this
// panel's tiles, 1 panel ahead 1.6x the dot-product GEMM, 2 panels ahead 1.67x.
constexpr int64_t kPrefetchPanels = 2;

// W rows [n0, n0 + n) as f32 rows of K in dst (q8 times its row scale), read in address order: the pack's
// 16x16 blocks read 16 rows at a time, 32 bytes of each, a pattern that left each block waiting on memory
// when read from W itself (71% of the time at M = 8, perf).
template <typename L>
void RowsToF32(const WeightView& w, int64_t n0, int n, int64_t K, float* dst) {
  for (int r = 0; r < n; ++r) {
    const typename L::T* src = static_cast<const typename L::T*>(w.data) + (n0 + r) * w.ld;
    const __m512 scale = _mm512_set1_ps(w.type == WType::Q8 ? w.scales[n0 + r] : 1.0f);
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = TailMask(K - k);
      _mm512_mask_storeu_ps(dst + r * K + k, m, _mm512_mul_ps(L::load(src + k, m), scale));
    }
  }
}

// The [k][nr] f32 panel of W rows [n0, n0 + n), zero past n; `rows` is scratch of n * K floats.
void PackPanel(const WeightView& w, int64_t n0, int n, int64_t K, float* rows, float* dst, int nr) {
  switch (w.type) {
    case WType::F32: RowsToF32<LF32>(w, n0, n, K, rows); break;
    case WType::F16: RowsToF32<LF16>(w, n0, n, K, rows); break;
    case WType::BF16: RowsToF32<LBF16>(w, n0, n, K, rows); break;
    case WType::Q8: RowsToF32<LQ8>(w, n0, n, K, rows); break;
    case WType::Q4: return q4_pack_w(w, n0, n, 0, K, dst, nr);  // K % 32 == 0; unpacks groups in place
  }
  kGemm.pack_w(WeightView{rows, WType::F32, nullptr, K}, 0, n, 0, K, dst, nr);
}

}  // namespace

void gemm_small_k(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  const int mr = kGemm.mr, nr = kGemm.nr;
  // x as MR-row panels [k][MR], rows past M zero (their outputs are never stored)
  const int64_t m_panels = (M + mr - 1) / mr;
  std::vector<float> xp(static_cast<size_t>(m_panels * mr * K), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    float* dst = xp.data() + (m / mr) * mr * K + m % mr;
    for (int64_t k = 0; k < K; ++k) dst[k * mr] = x[m * K + k];
  }
  // Prefetch reads the rows' stored bytes (q4: its codes; its group scales, a sixteenth of that, are not prefetched).
  const int64_t n_panels = (N + nr - 1) / nr, row_bytes = w_row_bytes(w.type, K);
  const char* wbytes = static_cast<const char*>(w.data);
  parallel_for((n_panels + kPanelsPerTask - 1) / kPanelsPerTask, [&](int64_t t0, int64_t t1) {
    alignas(64) float rows[kSmallKMax * 32], wp[kSmallKMax * 32];
    for (int64_t p = t0 * kPanelsPerTask; p < std::min(n_panels, t1 * kPanelsPerTask); ++p) {
      const int64_t n0 = p * nr;
      const int n = static_cast<int>(std::min<int64_t>(nr, N - n0));
      PackPanel(w, n0, n, K, rows, wp, nr);
      // the panel kPrefetchPanels ahead (contiguous rows), a share of it before each tile
      const int64_t ahead0 = std::min(N, n0 + kPrefetchPanels * nr) * row_bytes,
                    ahead1 = std::min(N, n0 + (kPrefetchPanels + 1) * nr) * row_bytes;
      const int64_t share = ((ahead1 - ahead0) / m_panels + 63) / 64 * 64;
      for (int64_t b = 0; b < m_panels; ++b) {
        for (int64_t q = ahead0 + b * share; q < std::min(ahead1, ahead0 + (b + 1) * share); q += 64)
          _mm_prefetch(wbytes + q, _MM_HINT_T0);
        kGemm.tile(K, xp.data() + b * mr * K, wp, y + b * mr * N + n0, N,
                   static_cast<int>(std::min<int64_t>(mr, M - b * mr)), n, 1.0f, bias ? bias + n0 : nullptr, false);
      }
    }
  });
}

}  // namespace gptj::avx512
