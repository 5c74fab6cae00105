// AVX-512 GEMM in dot-product form for linear with 5 or more rows of x (gemm_kernels.h gemm_dot):
// y[m, n] = sum_k x[m, k] * W[n, k], both operands read where they lie, k-contiguous, nothing packed.
//
// Why not the packed GEMM (gemm.cpp) for these rows: it converts and transposes every weight into f32
// panels, a pass over W that costs as much as the FMAs it feeds unless M is in the hundreds. Measured
// on the 2-vCPU Zen 5 host before this kernel: f16 [4096, 4096] at M = 8 ran 3.9x slower than two GEMVs
// of 4 rows, and a 64-token prefill of [16384, 4096] reached 45 GFLOP/s. Here W is converted in
// registers, once per MB rows of x, and the accumulators hold partial dot products over 16 k lanes,
// summed across lanes once per k chunk (llamafile's tinyBLAS computes its small-batch GEMMs in the same
// form).
//
// Tile: MB rows of x by NB = 4 rows of W, MB * 4 zmm accumulators. Each (m, n) accumulates its k in the
// same order whatever the tile, the number of rows or threads, so a row of y does not depend on the
// other rows of x it was computed with.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <algorithm>

#include "gemm_kernels.h"
#include "gemv_avx512.h"
#include "q4.h"
#include "q4_avx512.h"

namespace gptj::avx512 {
namespace {

constexpr int kNB = 4;
// Rows of W per task: 64 rows of 4096 f16 are 512 KiB, small enough for many tasks per thread.
constexpr int64_t kNC = 64;
// k is summed in chunks of kKC: a tile reduces its lanes and adds them to y after each chunk, so every
// y[m, n] is ((chunk 0 + chunk 1) + chunk 2) ... whatever the loop order. Two orders:
// - x of the task fits kSlabBytes (L2; the small-M, bandwidth-bound case): each group of 4 W rows runs
//   through all its chunks against every row of x before the next group, so each W row is one
//   sequential read from memory;
// - else, per chunk: each MB-row tile of x (L1) meets every W group of the task (the task's W chunk,
//   64 rows x kKC, stays in L2), so the FMAs read x from L1 and W from L2. The first tile of a chunk
//   asks for the task's next W chunk (prefetch into L2), so the weights come from memory while the
//   other tiles compute rather than when the next chunk's first tile needs them.
constexpr int64_t kKC = 1024;  // a multiple of the q4 group
constexpr int64_t kSlabBytes = 256 << 10;

// Sums of four vectors: lane j of the result is the lane sum of v[j]. The same tree for every j.
inline __m128 Reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
  const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
  const __m512d abd = _mm512_castps_pd(ab), cdd = _mm512_castps_pd(cd);
  // each 128-bit lane: [a, b, c, d] summed over that lane's four floats
  const __m512 s =
      _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(abd, cdd)), _mm512_castpd_ps(_mm512_unpackhi_pd(abd, cdd)));
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(s), _mm512_extractf32x8_ps(s, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

inline void PrefetchL2(const void* p, int64_t bytes) {
  for (int64_t b = 0; b < bytes; b += 64) _mm_prefetch(static_cast<const char*>(p) + b, _MM_HINT_T1);
}

// Four W rows read as f32 vectors, kSub x 16 k at a time. Dense types (f32, f16, bf16, q8 before its
// row scale) step 16 k and mask the k tail; q4 steps one group of 32 (K is a multiple of 32).
template <typename L>
struct DenseRows {
  static constexpr int kSub = 1;
  using T = typename L::T;
  const T* p[kNB];
  DenseRows(const WeightView& w, const int64_t rows[kNB]) {
    for (int j = 0; j < kNB; ++j) p[j] = static_cast<const T*>(w.data) + rows[j] * w.ld;
  }
  void Load(int j, int64_t k, __m512 v[kSub]) const { v[0] = L::load(p[j] + k); }
  void Prefetch(int64_t k0, int64_t kc) const {
    for (int j = 0; j < kNB; ++j) PrefetchL2(p[j] + k0, kc * static_cast<int64_t>(sizeof(T)));
  }
  void LoadTail(int j, int64_t k, __mmask16 m, __m512 v[kSub]) const { v[0] = L::load(p[j] + k, m); }
};

struct Q4Rows {
  static constexpr int kSub = 2;
  const uint8_t* codes[kNB];
  const uint16_t* scales[kNB];
  Q4Rows(const WeightView& w, const int64_t rows[kNB]) {
    for (int j = 0; j < kNB; ++j) {
      codes[j] = static_cast<const uint8_t*>(w.data) + rows[j] * (w.ld / 2);
      scales[j] = w.group_scales + rows[j] * (w.ld / kQ4Group);
    }
  }
  void Load(int j, int64_t k, __m512 v[kSub]) const {
    Q4Group(codes[j] + k / 2, v);
    const __m512 d = _mm512_set1_ps(_cvtsh_ss(scales[j][k / kQ4Group]));
    v[0] = _mm512_mul_ps(v[0], d);
    v[1] = _mm512_mul_ps(v[1], d);
  }
  void LoadTail(int, int64_t, __mmask16, __m512[kSub]) const {}  // never called: K % 32 == 0
  void Prefetch(int64_t k0, int64_t kc) const {
    for (int j = 0; j < kNB; ++j) {
      PrefetchL2(codes[j] + k0 / 2, kc / 2);
      PrefetchL2(scales[j] + k0 / kQ4Group, 2 * kc / kQ4Group);
    }
  }
};

// What a tile does with its sums of a k chunk: y = (first ? 0 : y) + sums, then after the last chunk
// y = y * scale + bias (scale: q8's row scales, else 1).
struct SliceEnd {
  bool first, last;
  __m128 scale, bias;
  __mmask8 lanes;  // W rows of the tile that exist (N tail)
};

// y[i, n0 .. n0 + 4) for i < MB over k in [k0, k0 + kc). x rows at stride ldx, y rows at stride ldy.
template <int MB, typename W>
void DotTile(const float* x, int64_t ldx, int64_t k0, int64_t kc, const W& w, float* y, int64_t ldy,
             const SliceEnd& e) {
  constexpr int S = W::kSub;
  __m512 acc[MB][kNB];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < kNB; ++j) acc[i][j] = _mm512_setzero_ps();
  const int64_t kend = k0 + kc, kmain = k0 + kc / (16 * S) * (16 * S);
  int64_t k = k0;
  for (; k < kmain; k += 16 * S) {
    __m512 wv[kNB][S];
    for (int j = 0; j < kNB; ++j) w.Load(j, k, wv[j]);
    for (int i = 0; i < MB; ++i)
      for (int s = 0; s < S; ++s) {
        const __m512 xv = _mm512_loadu_ps(x + i * ldx + k + 16 * s);
        for (int j = 0; j < kNB; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j][s], acc[i][j]);
      }
  }
  if constexpr (S == 1) {
    if (k < kend) {
      const __mmask16 m = TailMask(kend - k);
      __m512 wv[kNB][S];
      for (int j = 0; j < kNB; ++j) w.LoadTail(j, k, m, wv[j]);
      for (int i = 0; i < MB; ++i) {
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + i * ldx + k);
        for (int j = 0; j < kNB; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j][0], acc[i][j]);
      }
    }
  }
  for (int i = 0; i < MB; ++i) {
    float* yi = y + i * ldy;
    __m128 s = Reduce4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
    if (!e.first) s = _mm_add_ps(_mm_maskz_loadu_ps(e.lanes, yi), s);
    if (e.last) s = _mm_fmadd_ps(s, e.scale, e.bias);
    _mm_mask_storeu_ps(yi, e.lanes, s);
  }
}

// Rows [m0, m1) of x against W rows [n0, n1) (n0 a multiple of 4).
template <typename W, int MB>
void DotBlock(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N, int64_t m0,
              int64_t m1, int64_t n0, int64_t n1) {
  // W rows n .. n + 3 against x rows [ma, mb) over k in [k0, k0 + kKC); with prefetch_next, the same rows'
  // next chunk is asked into L2 first
  auto chunk = [&](int64_t n, int64_t k0, int64_t ma, int64_t mb, bool prefetch_next) {
    const int64_t kc = std::min(kKC, K - k0);
    const int valid = static_cast<int>(std::min<int64_t>(kNB, N - n));
    int64_t rows[kNB];
    for (int j = 0; j < kNB; ++j) rows[j] = j < valid ? n + j : n;  // missing rows re-read row n, not stored
    const W wr(w, rows);
    if (prefetch_next && k0 + kc < K) wr.Prefetch(k0 + kc, std::min(kKC, K - k0 - kc));
    SliceEnd e{k0 == 0, k0 + kc >= K, _mm_set1_ps(1.0f), _mm_setzero_ps(), static_cast<__mmask8>((1u << valid) - 1)};
    if (e.last && w.type == WType::Q8) e.scale = _mm_maskz_loadu_ps(e.lanes, w.scales + n);
    if (e.last && bias) e.bias = _mm_maskz_loadu_ps(e.lanes, bias + n);
    int64_t m = ma;
    for (; m + MB <= mb; m += MB) DotTile<MB>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
    switch (mb - m) {  // the last rows: fewer than MB
      case 1: return DotTile<1>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
      case 2: return DotTile<2>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
      case 3: return DotTile<3>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
      case 4: return DotTile<4>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
      case 5:
        if constexpr (MB > 5) DotTile<5>(x + m * K, K, k0, kc, wr, y + m * N + n, N, e);
        return;
      default: return;
    }
  };
  if ((m1 - m0) * K * 4 <= kSlabBytes) {  // K = 0 too: one empty chunk, so y = bias (or 0)
    for (int64_t n = n0; n < n1; n += kNB)
      for (int64_t k0 = 0; k0 == 0 || k0 < K; k0 += kKC) chunk(n, k0, m0, m1, false);
  } else {
    for (int64_t k0 = 0; k0 < K; k0 += kKC)
      for (int64_t m = m0; m < m1; m += MB)
        for (int64_t n = n0; n < n1; n += kNB) chunk(n, k0, m, std::min(m1, m + MB), m == m0);
  }
}

template <typename W, int MB>
void DotGemm(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  // Tasks: NC-row blocks of W; when that gives fewer than 4 per thread, M is cut too (in multiples of MB).
  const int64_t nb_n = (N + kNC - 1) / kNC, want = 4 * num_threads();
  int64_t mb = M;
  if (nb_n < want) mb = std::max<int64_t>(MB, (M * nb_n + want - 1) / want / MB * MB);
  const int64_t nb_m = (M + mb - 1) / mb;
  parallel_for(nb_n * nb_m, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = (t / nb_m) * kNC, m0 = (t % nb_m) * mb;
      DotBlock<W, MB>(x, K, w, bias, y, N, m0, std::min(M, m0 + mb), n0, std::min(N, n0 + kNC));
    }
  });
}

}  // namespace

// MB: 6 x 4 accumulators + 4 W vectors + x for the 16-k types; q4 holds two vectors per W row, so 5 x 4.
void gemm_dot(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  switch (w.type) {
    case WType::F32: return DotGemm<DenseRows<LF32>, 6>(x, M, K, w, bias, y, N);
    case WType::F16: return DotGemm<DenseRows<LF16>, 6>(x, M, K, w, bias, y, N);
    case WType::BF16: return DotGemm<DenseRows<LBF16>, 6>(x, M, K, w, bias, y, N);
    case WType::Q8: return DotGemm<DenseRows<LQ8>, 6>(x, M, K, w, bias, y, N);
    case WType::Q4: return DotGemm<Q4Rows, 5>(x, M, K, w, bias, y, N);
  }
}

}  // namespace gptj::avx512
