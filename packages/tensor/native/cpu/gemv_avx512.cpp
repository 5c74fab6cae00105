// AVX-512 GEMV (compiled with -mavx512f/bw/vl/dq -mfma -mf16c; called only after cpu_isa() says
// so): masked loads handle the k tail. Layouts: gemm_kernels.h.
// GCC 12 reports the `__Y = __Y` placeholders inside AVX-512 intrinsics as uninitialized once they
// are inlined into loops (a false positive that GCC 13 no longer reports): silenced here only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "gemm_kernels.h"
#include "gemv_avx512.h"

namespace gptj::avx512 {
namespace {

// Sum of the 16 lanes. (Not _mm512_reduce_add_ps: GCC 12 warns on its undefined upper halves.)
inline float ReduceAdd(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4e));  // + the other 256-bit half
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xb1));  // + the neighbouring 128-bit lane
  __m128 s = _mm512_castps512_ps128(v);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Software prefetch distance along each weight row: with 4 rows streamed at once, the hardware
// prefetcher alone left 15-25% of the read bandwidth unused on K=16384 rows (measured here). Rows
// are contiguous (ld == K in linear), so past a row's end the next group's rows are prefetched.
constexpr int kPrefetchBytes = 2048;

// MB rows of x against RB consecutive rows of W starting at n. For one row of x, two accumulators
// per W row (U = 2) halve the FMA dependency chains, which otherwise bound q8 (64 weights per cache
// line) below the memory bandwidth; with more rows of x, MB * RB chains already suffice.
template <typename L, int MB, int RB>
inline void GemvBlock(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                      int64_t n) {
  constexpr int U = MB == 1 ? 2 : 1;
  const auto* base = static_cast<const typename L::T*>(w.data) + n * w.ld;
  constexpr int64_t kPrefetchElems = kPrefetchBytes / sizeof(typename L::T);
  __m512 acc[U][MB][RB];
  for (int u = 0; u < U; ++u)
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < RB; ++r) acc[u][m][r] = _mm512_setzero_ps();
  // Accumulates 16 weights at k of every row into acc[u]; a tail step (full = false) reads only
  // the lanes in `mask`. (Plain loads on full steps: they fold into the widening instructions.)
  auto step = [&](int64_t k, int u, bool full, __mmask16 mask) {
    __m512 wv[RB];
    for (int r = 0; r < RB; ++r) wv[r] = full ? L::load(base + r * w.ld + k) : L::load(base + r * w.ld + k, mask);
    for (int m = 0; m < MB; ++m) {
      const __m512 xv = full ? _mm512_loadu_ps(x + m * K + k) : _mm512_maskz_loadu_ps(mask, x + m * K + k);
      for (int r = 0; r < RB; ++r) acc[u][m][r] = _mm512_fmadd_ps(xv, wv[r], acc[u][m][r]);
    }
  };
  int64_t k = 0;
  for (; k + 16 * U <= K; k += 16 * U) {
    // Near the end of the rows, prefetch the start of the next group's rows instead.
    const int64_t pf = k + kPrefetchElems < K ? k + kPrefetchElems : k + kPrefetchElems + (RB - 1) * w.ld;
    for (int r = 0; r < RB; ++r) _mm_prefetch(reinterpret_cast<const char*>(base + r * w.ld + pf), _MM_HINT_T0);
    for (int u = 0; u < U; ++u) step(k + 16 * u, u, true, 0xffff);
  }
  for (; k + 16 <= K; k += 16) step(k, 0, true, 0xffff);
  if (k < K) step(k, 0, false, TailMask(K - k));
  for (int r = 0; r < RB; ++r) {
    const float scale = w.type == WType::Q8 ? w.scales[n + r] : 1.0f;
    const float b = bias ? bias[n + r] : 0.0f;
    for (int m = 0; m < MB; ++m) {
      __m512 sum = acc[0][m][r];
      for (int u = 1; u < U; ++u) sum = _mm512_add_ps(sum, acc[u][m][r]);
      y[m * ldy + n + r] = ReduceAdd(sum) * scale + b;
    }
  }
}

template <typename L, int MB>
void GemvRows(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
              int64_t n1) {
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) GemvBlock<L, MB, 4>(x, K, w, bias, y, ldy, n);
  for (; n < n1; ++n) GemvBlock<L, MB, 1>(x, K, w, bias, y, ldy, n);
}

template <typename L>
void GemvTyped(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
               int64_t n0, int64_t n1) {
  for (int64_t m = 0; m < M; m += 4) {
    const float* xm = x + m * K;
    float* ym = y + m * ldy;
    switch (M - m) {
      case 1: GemvRows<L, 1>(xm, K, w, bias, ym, ldy, n0, n1); break;
      case 2: GemvRows<L, 2>(xm, K, w, bias, ym, ldy, n0, n1); break;
      case 3: GemvRows<L, 3>(xm, K, w, bias, ym, ldy, n0, n1); break;
      default: GemvRows<L, 4>(xm, K, w, bias, ym, ldy, n0, n1); break;
    }
  }
}

}  // namespace

void gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
          int64_t n0, int64_t n1) {
  switch (w.type) {
    case WType::F32: return GemvTyped<LF32>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::F16: return GemvTyped<LF16>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::BF16: return GemvTyped<LBF16>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::Q8: return GemvTyped<LQ8>(x, M, K, w, bias, y, ldy, n0, n1);
  }
}

}  // namespace gptj::avx512
