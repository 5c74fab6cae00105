// AVX-512 GEMV (compiled with -mavx512f/bw/vl/dq -mfma -mf16c; called only after cpu_isa() says
// so): masked loads handle the k tail. Layouts: gemm_kernels.h.
// GCC 12 reports the `__Y = __Y` placeholders inside AVX-512 intrinsics as uninitialized once they
// are inlined into loops (a false positive that GCC 13 no longer reports): silenced here only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstdlib>
#include <type_traits>
#include <vector>

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
template <typename L, int MB, int RB, int U = (MB == 1 ? 2 : 1), int PFB = kPrefetchBytes, int HINT = _MM_HINT_T0>
inline void GemvBlock(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                      int64_t n) {
  const auto* base = static_cast<const typename L::T*>(w.data) + n * w.ld;
  constexpr int64_t kPrefetchElems = PFB / sizeof(typename L::T);
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
    for (int r = 0; r < RB; ++r) _mm_prefetch(reinterpret_cast<const char*>(base + r * w.ld + pf), static_cast<_mm_hint>(HINT));
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

template <typename L, int RB, int U, int PFB, int HINT>
void GemvRowsX(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
              int64_t n1) {
  int64_t n = n0;
  for (; n + RB <= n1; n += RB) GemvBlock<L, 1, RB, U, PFB, HINT>(x, K, w, bias, y, ldy, n);
  for (; n + 4 <= n1; n += 4) GemvBlock<L, 1, 4>(x, K, w, bias, y, ldy, n);
  for (; n < n1; ++n) GemvBlock<L, 1, 1>(x, K, w, bias, y, ldy, n);
}

// q8, one row of x: xp holds x regrouped per 64-wide k block so that xp[b*64 + j*16 + i] =
// x[b*64 + 4*i + j]; byte j of each dword of a 64-byte weight load is widened by shifts.
template <int RB>
inline void GemvBlockQ8Shift(const float* x, const float* xp, int64_t K, const WeightView& w, const float* bias,
                             float* y, int64_t n) {
  const auto* base = static_cast<const int8_t*>(w.data) + n * w.ld;
  __m512 acc[4][RB];
  for (int j = 0; j < 4; ++j)
    for (int r = 0; r < RB; ++r) acc[j][r] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 64 <= K; k += 64) {
    const int64_t pf = k + kPrefetchBytes < K ? k + kPrefetchBytes : k + kPrefetchBytes + (RB - 1) * w.ld;
    for (int r = 0; r < RB; ++r) _mm_prefetch(reinterpret_cast<const char*>(base + r * w.ld + pf), _MM_HINT_T0);
    const __m512 x0 = _mm512_loadu_ps(xp + k), x1 = _mm512_loadu_ps(xp + k + 16);
    const __m512 x2 = _mm512_loadu_ps(xp + k + 32), x3 = _mm512_loadu_ps(xp + k + 48);
    for (int r = 0; r < RB; ++r) {
      const __m512i v = _mm512_loadu_si512(base + r * w.ld + k);
      acc[0][r] = _mm512_fmadd_ps(x0, _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_slli_epi32(v, 24), 24)), acc[0][r]);
      acc[1][r] = _mm512_fmadd_ps(x1, _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_slli_epi32(v, 16), 24)), acc[1][r]);
      acc[2][r] = _mm512_fmadd_ps(x2, _mm512_cvtepi32_ps(_mm512_srai_epi32(_mm512_slli_epi32(v, 8), 24)), acc[2][r]);
      acc[3][r] = _mm512_fmadd_ps(x3, _mm512_cvtepi32_ps(_mm512_srai_epi32(v, 24)), acc[3][r]);
    }
  }
  for (; k < K; k += 16) {
    const __mmask16 m = TailMask(K - k);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + k);
    for (int r = 0; r < RB; ++r) acc[0][r] = _mm512_fmadd_ps(xv, LQ8::load(base + r * w.ld + k, m), acc[0][r]);
  }
  for (int r = 0; r < RB; ++r) {
    const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc[0][r], acc[1][r]), _mm512_add_ps(acc[2][r], acc[3][r]));
    y[n + r] = ReduceAdd(sum) * w.scales[n + r] + (bias ? bias[n + r] : 0.0f);
  }
}

void GemvQ8Shift(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t n0,
                 int64_t n1) {
  thread_local std::vector<float> xp;
  xp.resize(static_cast<size_t>(K));
  for (int64_t b = 0; b + 64 <= K; b += 64)
    for (int j = 0; j < 4; ++j)
      for (int i = 0; i < 16; ++i) xp[b + j * 16 + i] = x[b + 4 * i + j];
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) GemvBlockQ8Shift<4>(x, xp.data(), K, w, bias, y, n);
  for (; n < n1; ++n) GemvBlockQ8Shift<1>(x, xp.data(), K, w, bias, y, n);
}

template <typename L, int MB>
void GemvRows(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
              int64_t n1) {
  if constexpr (MB == 1) {
    const char* v = std::getenv("GEMV_VARIANT");
    const int var = v ? std::atoi(v) : 0;
    switch (var) {
      case 1: return GemvRowsX<L, 8, 2, 2048, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 2: return GemvRowsX<L, 4, 4, 2048, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 3: return GemvRowsX<L, 4, 2, 4096, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 4: return GemvRowsX<L, 4, 2, 1024, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 5: return GemvRowsX<L, 4, 2, 2048, _MM_HINT_NTA>(x, K, w, bias, y, ldy, n0, n1);
      case 6: return GemvRowsX<L, 8, 1, 2048, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 7: return GemvRowsX<L, 8, 2, 4096, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 8: return GemvRowsX<L, 4, 4, 4096, _MM_HINT_T0>(x, K, w, bias, y, ldy, n0, n1);
      case 9: if constexpr (std::is_same_v<L, LQ8>) return GemvQ8Shift(x, K, w, bias, y, n0, n1); break;
      default: break;
    }
  }
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
