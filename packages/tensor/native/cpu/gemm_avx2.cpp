// AVX2 GEMM register tile: 6 rows x 16 columns of C in 12 ymm accumulators (2 Bp vectors,
// 6 broadcasts of Ap, 12 FMAs per k). Edge tiles go through a stack buffer. Layouts: gemm_kernels.h.
#include <immintrin.h>

#include "gemm_kernels.h"
#include "gemv_avx2.h"

namespace gptj::avx2 {
namespace {

constexpr int kMR = 6, kNR = 16;

// In-place 8x8 transpose: r[i] lane j becomes r[j] lane i.
inline void Transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int a = 0; a < 8; a += 4) {
    u[a + 0] = _mm256_shuffle_ps(t[a], t[a + 2], 0x44);
    u[a + 1] = _mm256_shuffle_ps(t[a], t[a + 2], 0xee);
    u[a + 2] = _mm256_shuffle_ps(t[a + 1], t[a + 3], 0x44);
    u[a + 3] = _mm256_shuffle_ps(t[a + 1], t[a + 3], 0xee);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

// Bp panel from W rows [n0, n0 + n): 8x8 blocks loaded, converted and transposed; the k tail
// (kc % 8) and missing rows go element by element.
template <typename L>
void PackWTyped(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  const auto* base = static_cast<const typename L::T*>(w.data);
  const bool q8 = w.type == WType::Q8;
  for (int g = 0; g < nr; g += 8) {
    const int rows = n - g < 8 ? (n - g > 0 ? n - g : 0) : 8;
    alignas(32) float scale[8];
    for (int i = 0; i < 8; ++i) scale[i] = i < rows ? (q8 ? w.scales[n0 + g + i] : 1.0f) : 0.0f;
    const __m256 vscale = _mm256_load_ps(scale);
    int64_t kb = 0;
    if (rows == 8) {
      for (; kb + 8 <= kc; kb += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i) r[i] = L::load(base + (n0 + g + i) * w.ld + k0 + kb);
        Transpose8(r);
        for (int k = 0; k < 8; ++k) _mm256_store_ps(dst + (kb + k) * nr + g, _mm256_mul_ps(r[k], vscale));
      }
    }
    for (; kb < kc; ++kb)
      for (int i = 0; i < 8; ++i)
        dst[kb * nr + g + i] = i < rows ? L::S::get(base + (n0 + g + i) * w.ld + k0, kb) * scale[i] : 0.0f;
  }
}

void PackW(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  switch (w.type) {
    case WType::F32: return PackWTyped<LF32>(w, n0, n, k0, kc, dst, nr);
    case WType::F16: return PackWTyped<LF16>(w, n0, n, k0, kc, dst, nr);
    case WType::BF16: return PackWTyped<LBF16>(w, n0, n, k0, kc, dst, nr);
    case WType::Q8: return PackWTyped<LQ8>(w, n0, n, k0, kc, dst, nr);
    case WType::Q4: break;  // linear sends q4 to q4_gemv / q4_pack_w (q4.h)
  }
}

void Tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n, float alpha,
          const float* bias, bool accumulate) {
  __m256 acc0[kMR], acc1[kMR];
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, ap += kMR, bp += kNR) {
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const __m256 a = _mm256_broadcast_ss(ap + i);
      acc0[i] = _mm256_fmadd_ps(a, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(a, b1, acc1[i]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha);
  if (m == kMR && n == kNR) {
    const __m256 zero = _mm256_setzero_ps();
    const __m256 bias0 = (!accumulate && bias) ? _mm256_loadu_ps(bias) : zero;
    const __m256 bias1 = (!accumulate && bias) ? _mm256_loadu_ps(bias + 8) : zero;
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      float* row = c + i * ldc;
      const __m256 add0 = accumulate ? _mm256_loadu_ps(row) : bias0;
      const __m256 add1 = accumulate ? _mm256_loadu_ps(row + 8) : bias1;
      _mm256_storeu_ps(row, _mm256_fmadd_ps(va, acc0[i], add0));
      _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, acc1[i], add1));
    }
    return;
  }
  alignas(32) float tmp[kMR][kNR];
#pragma GCC unroll 6  // constant indices keep acc0/acc1 in registers in the k loop above
  for (int i = 0; i < kMR; ++i) {
    _mm256_store_ps(tmp[i], _mm256_mul_ps(va, acc0[i]));
    _mm256_store_ps(tmp[i] + 8, _mm256_mul_ps(va, acc1[i]));
  }
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < n; ++j) row[j] = tmp[i][j] + (accumulate ? row[j] : bias ? bias[j] : 0.0f);
  }
}

}  // namespace

const GemmKernel kGemm = {kMR, kNR, Tile, PackW};

}  // namespace gptj::avx2
