// AVX2 + FMA + F16C GEMV (compiled with -mavx2 -mfma -mf16c; called only after cpu_isa() says so).
// k runs 8 lanes at a time; the last K % 8 elements go through the scalar converters.
#include <immintrin.h>

#include "gemm_kernels.h"
#include "gemv_avx2.h"

namespace gptj::avx2 {
namespace {

inline float ReduceAdd(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Software prefetch distance along each weight row: with 4 rows streamed at once, the hardware
// prefetcher alone left 15-25% of the read bandwidth unused on K=16384 rows (measured here). Rows
// are contiguous (ld == K in linear), so past a row's end the next group's rows are prefetched.
constexpr int kPrefetchBytes = 2048;

// MB rows of x against RB consecutive rows of W starting at n. For one row of x, two accumulators
// per W row (U = 2) halve the FMA dependency chains (as in gemv_avx512.cpp).
template <typename L, int MB, int RB>
inline void GemvBlock(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                      int64_t n) {
  constexpr int U = MB == 1 ? 2 : 1;
  const auto* base = static_cast<const typename L::T*>(w.data) + n * w.ld;
  constexpr int64_t kPrefetchElems = kPrefetchBytes / sizeof(typename L::T);
  __m256 acc[U][MB][RB];
  for (int u = 0; u < U; ++u)
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < RB; ++r) acc[u][m][r] = _mm256_setzero_ps();
  // Accumulates 8 weights at k of every row into acc[u].
  auto step = [&](int64_t k, int u) {
    __m256 wv[RB];
    for (int r = 0; r < RB; ++r) wv[r] = L::load(base + r * w.ld + k);
    for (int m = 0; m < MB; ++m) {
      const __m256 xv = _mm256_loadu_ps(x + m * K + k);
      for (int r = 0; r < RB; ++r) acc[u][m][r] = _mm256_fmadd_ps(xv, wv[r], acc[u][m][r]);
    }
  };
  int64_t k = 0;
  for (; k + 8 * U <= K; k += 8 * U) {
    // Near the end of the rows, prefetch the start of the next group's rows instead.
    const int64_t pf = k + kPrefetchElems < K ? k + kPrefetchElems : k + kPrefetchElems + (RB - 1) * w.ld;
    for (int r = 0; r < RB; ++r) _mm_prefetch(reinterpret_cast<const char*>(base + r * w.ld + pf), _MM_HINT_T0);
    for (int u = 0; u < U; ++u) step(k + 8 * u, u);
  }
  for (; k + 8 <= K; k += 8) step(k, 0);
  for (int r = 0; r < RB; ++r) {
    const float scale = w.type == WType::Q8 ? w.scales[n + r] : 1.0f;
    const float b = bias ? bias[n + r] : 0.0f;
    for (int m = 0; m < MB; ++m) {
      __m256 sum = acc[0][m][r];
      for (int u = 1; u < U; ++u) sum = _mm256_add_ps(sum, acc[u][m][r]);
      float s = ReduceAdd(sum);
      for (int64_t kt = k; kt < K; ++kt) s += x[m * K + kt] * L::S::get(base + r * w.ld, kt);
      y[m * ldy + n + r] = s * scale + b;
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

}  // namespace gptj::avx2
