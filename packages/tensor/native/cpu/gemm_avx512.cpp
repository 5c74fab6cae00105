// AVX-512 GEMM register tile: 12 rows x 32 columns of C in 24 zmm accumulators; per k, two Bp
// vectors and 12 broadcasts of Ap feed 24 FMAs. Layouts: gemm_kernels.h.
// GCC 12 reports the `__Y = __Y` placeholders inside AVX-512 intrinsics as uninitialized once they
// are inlined into loops (a false positive that GCC 13 no longer reports): silenced here only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "gemm_kernels.h"
#include "gemv_avx512.h"

namespace gptj::avx512 {
namespace {

constexpr int kMR = 12, kNR = 32;

// Bp panel from W rows [n0, n0 + n): for each group of 16 rows and 16 k, load + convert the 16x16
// block, transpose it, and store 16 k-rows of 16 columns (q8 scales applied per column).
template <typename L>
void PackWTyped(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  for (int g = 0; g < nr; g += 16) {
    const int rows = n - g < 16 ? (n - g > 0 ? n - g : 0) : 16;
    const __mmask16 row_mask = TailMask(rows);
    const __m512 scale =
        w.type == WType::Q8 ? _mm512_maskz_loadu_ps(row_mask, w.scales + n0 + g) : _mm512_set1_ps(1.0f);
    for (int64_t kb = 0; kb < kc; kb += 16) {
      const __mmask16 k_mask = TailMask(kc - kb);
      __m512 r[16];
      for (int i = 0; i < 16; ++i)
        r[i] = i < rows ? L::load(static_cast<const typename L::T*>(w.data) + (n0 + g + i) * w.ld + k0 + kb, k_mask)
                        : _mm512_setzero_ps();
      Transpose16(r);
      const int64_t kn = kc - kb < 16 ? kc - kb : 16;
      for (int64_t k = 0; k < kn; ++k) _mm512_store_ps(dst + (kb + k) * nr + g, _mm512_mul_ps(r[k], scale));
    }
  }
}

void Tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n, float alpha,
          const float* bias, bool accumulate) {
  __m512 acc0[kMR], acc1[kMR];
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, ap += kMR, bp += kNR) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 12
    for (int i = 0; i < kMR; ++i) {
      const __m512 a = _mm512_set1_ps(ap[i]);
      acc0[i] = _mm512_fmadd_ps(a, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(a, b1, acc1[i]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  const __mmask16 m0 = n >= 16 ? 0xffff : static_cast<__mmask16>((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? 0xffff : n <= 16 ? 0 : static_cast<__mmask16>((1u << (n - 16)) - 1);
  __m512 add0 = _mm512_setzero_ps(), add1 = _mm512_setzero_ps();
  if (!accumulate && bias) {
    add0 = _mm512_maskz_loadu_ps(m0, bias);
    add1 = _mm512_maskz_loadu_ps(m1, bias + 16);
  }
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) {
    if (i >= m) break;
    float* row = c + i * ldc;
    if (accumulate) {
      add0 = _mm512_maskz_loadu_ps(m0, row);
      add1 = _mm512_maskz_loadu_ps(m1, row + 16);
    }
    _mm512_mask_storeu_ps(row, m0, _mm512_fmadd_ps(va, acc0[i], add0));
    _mm512_mask_storeu_ps(row + 16, m1, _mm512_fmadd_ps(va, acc1[i], add1));
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

}  // namespace

const GemmKernel kGemm = {kMR, kNR, Tile, PackW};

}  // namespace gptj::avx512
