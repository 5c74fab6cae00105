// AVX2 GEMM in dot-product form for linear with 5 or more rows of x (gemm_kernels.h avx2::gemm_dot):
// y[m, n] = sum_k x[m, k] * W[n, k], W read where it lies, converted in registers, never packed. The AVX-512
// kernel (gemm_dot_avx512.cpp) says why this form beats the packed GEMM at small M; this one has 16 ymm
// registers instead of 32 zmm.
//
// Tile: kMB = 4 rows of x by kNB = 3 rows of W: 12 accumulators, 3 W vectors and one of x, all 16 registers.
// Per 8 k: 3 W conversions and 4 x loads for 12 FMAs. Tried at M = 5, 8, 16, 64 on the 6B fc_in shape (f16
// [16384, 4096]; one build per tile, each against 4-row GEMVs by one thread's CPU time, as
// tools/bench/scripts/avx2-dot-gemm.mjs --threads 1 measures): 6 x 2 (two conversions per 12 FMAs, but 12 x loads)
// ran 1.08-1.45x the GEMVs' speed, 5 x 2 0.96-1.22x, 3 x 4 (x loads folded into every FMA) 0.73-1.12x, 3 x 3
// 1.21-1.38x, 4 x 3 1.30-1.43x.
// f32, f16, bf16 and q8; q4 stays on its GEMV (linear.cpp): a q4 variant of this kernel (8 codes decoded and
// scaled per vector), not kept, ran 0.65-0.76x the speed of the q4 4-row GEMVs in the same harness.
//
// Exactness: every y[m, n] sums its k in chunks of kKC, each chunk in one 8-lane accumulator in k order,
// reduced with the same tree and added to y chunk after chunk; the tile, the loop order, the number of rows
// and of threads change none of that, so a row of y does not depend on the other rows of x.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "gemm_kernels.h"
#include "gemv_avx2.h"

namespace gptj::avx2 {
namespace {

constexpr int kMB = 4, kNB = 3;
// W rows per pool task, k per chunk, and the x bytes under which each group of kNB W rows runs through all
// of K against all rows of x before the next group (W read once from memory; else chunk by chunk, the task's
// W chunk in L2): the AVX-512 kernel's blocking, whose reasons hold for any L2 of 256 KiB or more.
constexpr int64_t kNC = 64;
constexpr int64_t kKC = 1024;
constexpr int64_t kSlabBytes = 256 << 10;
// The first tile of x to meet a W chunk asks for each W row kPrefetchBytes ahead (prefetcht0, once per cache
// line), as the GEMV does (gemv_impl.inc); past a chunk's end it fetches the same rows' next chunk. Without
// it, f16 at 5 rows ran 1.05x its 4-row GEMVs against 1.28x with it (q8 1.04x against 1.15x; same harness
// as the tile sizes below).
constexpr int64_t kPrefetchBytes = 2048;

inline void Prefetch(const void* p, int64_t bytes) { _mm_prefetch(static_cast<const char*>(p) + bytes, _MM_HINT_T0); }

// The lane sum of v (the GEMV's tree).
inline float Hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// Lanes [0, n) all ones: the mask of _mm256_maskload_ps for a k tail of n < 8.
inline __m256i TailMask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// kNB W rows as f32 vectors of 8 k (q8 before its row scale) through gemv_avx2.h's loaders, the k tail
// through a zero-padded copy.
template <typename L>
struct DenseRows {
  using T = typename L::T;
  const T* p[kNB];
  DenseRows(const WeightView& w, const int64_t rows[kNB]) {
    for (int j = 0; j < kNB; ++j) p[j] = static_cast<const T*>(w.data) + rows[j] * w.ld;
  }
  __m256 Load(int j, int64_t k) const { return L::load(p[j] + k); }
  // At every cache line of the rows: k a multiple of 64 bytes' worth of T.
  void Prefetch(int64_t k) const {
    if (k % (64 / static_cast<int64_t>(sizeof(T))) != 0) return;
    for (int j = 0; j < kNB; ++j) gptj::avx2::Prefetch(p[j] + k, kPrefetchBytes);
  }
  __m256 LoadTail(int j, int64_t k, int64_t n) const {
    T buf[8] = {};
    std::copy(p[j] + k, p[j] + k + n, buf);
    return L::load(buf);
  }
};

// What a tile does with its sums of a k chunk: y = (first ? 0 : y) + sums, then after the last chunk
// y = y * scale + bias (scale: q8's row scales, else 1), in the columns of its `valid` W rows (N tail).
struct SliceEnd {
  bool first, last;
  int64_t col[kNB];
  float scale[kNB], bias[kNB];
  int valid;
};

// y[i, e.col[j]] for i < MB, j < e.valid over k in [k0, k0 + kc). x rows at stride ldx, y rows at stride ldy.
template <int MB, bool kPrefetch, typename W>
void DotTile(const float* x, int64_t ldx, int64_t k0, int64_t kc, const W& w, float* y, int64_t ldy,
             const SliceEnd& e) {
  __m256 acc[MB][kNB];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < kNB; ++j) acc[i][j] = _mm256_setzero_ps();
  const int64_t kend = k0 + kc, kmain = k0 + kc / 8 * 8;
  for (int64_t k = k0; k < kmain; k += 8) {
    if constexpr (kPrefetch) w.Prefetch(k);
    __m256 wv[kNB];
    for (int j = 0; j < kNB; ++j) wv[j] = w.Load(j, k);
    for (int i = 0; i < MB; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * ldx + k);
      for (int j = 0; j < kNB; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  if (kmain < kend) {
    const __m256i m = TailMask(kend - kmain);
    __m256 wv[kNB];
    for (int j = 0; j < kNB; ++j) wv[j] = w.LoadTail(j, kmain, kend - kmain);
    for (int i = 0; i < MB; ++i) {
      const __m256 xv = _mm256_maskload_ps(x + i * ldx + kmain, m);
      for (int j = 0; j < kNB; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < e.valid; ++j) {
      float* yp = y + i * ldy + e.col[j];
      float s = Hsum(acc[i][j]);
      if (!e.first) s = *yp + s;
      *yp = e.last ? std::fma(s, e.scale[j], e.bias[j]) : s;
    }
}

// x rows [ma, mb) against the first `valid` of W rows `rows` over k in [k0, k0 + kc), in tiles of kMB rows
// and one of fewer; with `prefetch`, the first tile prefetches W.
template <typename W>
void DotRows(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N,
             const int64_t rows[kNB], int valid, int64_t k0, int64_t kc, int64_t ma, int64_t mb, bool prefetch) {
  const W wr(w, rows);
  SliceEnd e{k0 == 0, k0 + kc >= K, {}, {}, {}, valid};
  for (int j = 0; j < valid; ++j) {
    e.col[j] = rows[j];
    e.scale[j] = w.type == WType::Q8 ? w.scales[rows[j]] : 1.0f;
    e.bias[j] = bias ? bias[rows[j]] : 0.0f;
  }
  auto tile = [&](auto rows, int64_t m) {  // rows [m, m + rows)
    constexpr int R = decltype(rows)::value;
    if (prefetch && m == ma) return DotTile<R, true>(x + m * K, K, k0, kc, wr, y + m * N, N, e);
    DotTile<R, false>(x + m * K, K, k0, kc, wr, y + m * N, N, e);
  };
  int64_t m = ma;
  for (; m + kMB <= mb; m += kMB) tile(std::integral_constant<int, kMB>{}, m);
  switch (mb - m) {  // the last rows: fewer than kMB
    case 1: return tile(std::integral_constant<int, 1>{}, m);
    case 2: return tile(std::integral_constant<int, 2>{}, m);
    case 3: return tile(std::integral_constant<int, 3>{}, m);
    case 4: return tile(std::integral_constant<int, 4>{}, m);
    case 5: return tile(std::integral_constant<int, 5>{}, m);
    default: return;
  }
}

// Rows [m0, m1) of x against W rows [n0, n1), cut in kNB parts read side by side: the tile's W rows are row i of
// each part, so each part is one sequential read (the GEMV's parts, gemv_impl.inc: kNB consecutive rows at a
// time restart kNB short streams every group instead).
template <typename W>
void DotBlock(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N, int64_t m0,
              int64_t m1, int64_t n0, int64_t n1) {
  const int64_t part = (n1 - n0 + kNB - 1) / kNB;
  auto rows = [&](int64_t i, int64_t k0, int64_t ma, int64_t mb, bool prefetch) {
    int64_t r[kNB];
    int valid = 0;
    for (int j = 0; j < kNB; ++j) {
      r[j] = n0 + j * part + i < n1 ? n0 + j * part + i : n0 + i;  // a missing row re-reads row n0 + i, not stored
      valid += n0 + j * part + i < n1;
    }
    DotRows<W>(x, K, w, bias, y, N, r, valid, k0, std::min(kKC, K - k0), ma, mb, prefetch);
  };
  if ((m1 - m0) * K * 4 <= kSlabBytes) {
    for (int64_t i = 0; i < part; ++i)  // K = 0 too: one empty chunk, so y = bias (or 0)
      for (int64_t k0 = 0; k0 == 0 || k0 < K; k0 += kKC) rows(i, k0, m0, m1, true);
    return;
  }
  for (int64_t k0 = 0; k0 < K; k0 += kKC)
    for (int64_t m = m0; m < m1; m += kMB)
      for (int64_t i = 0; i < part; ++i) rows(i, k0, m, std::min(m1, m + kMB), m == m0);
}

template <typename W>
void DotGemm(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  // Tasks: kNC-row blocks of W; when that gives fewer than 4 per thread, M is cut too (in multiples of kMB).
  const int64_t nb_n = (N + kNC - 1) / kNC, want = 4 * num_threads();
  const int64_t mb = nb_n < want ? std::max<int64_t>(kMB, (M * nb_n + want - 1) / want / kMB * kMB) : M;
  const int64_t nb_m = (M + mb - 1) / mb;
  parallel_for(nb_n * nb_m, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = (t / nb_m) * kNC, m0 = (t % nb_m) * mb;
      DotBlock<W>(x, K, w, bias, y, N, m0, std::min(M, m0 + mb), n0, std::min(N, n0 + kNC));
    }
  });
}

}  // namespace

void gemm_dot(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  switch (w.type) {
    case WType::F32: return DotGemm<DenseRows<LF32>>(x, M, K, w, bias, y, N);
    case WType::F16: return DotGemm<DenseRows<LF16>>(x, M, K, w, bias, y, N);
    case WType::BF16: return DotGemm<DenseRows<LBF16>>(x, M, K, w, bias, y, N);
    case WType::Q8: return DotGemm<DenseRows<LQ8>>(x, M, K, w, bias, y, N);
    case WType::Q4: break;  // linear keeps q4 on its GEMV and the packed GEMM (linear.cpp)
  }
}

}  // namespace gptj::avx2
