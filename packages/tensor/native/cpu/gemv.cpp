// Portable GEMV (no SIMD intrinsics): the reference path for CPUs without AVX2, and the
// behaviour the SIMD paths must match. Layouts: see gemm_kernels.h.
#include "gemm_kernels.h"
#include "gemv_scalar.h"

namespace gptj::scalar {
namespace {

template <typename L>
void GemvTyped(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
               int64_t n0, int64_t n1) {
  const auto* base = static_cast<const typename L::T*>(w.data);
  for (int64_t n = n0; n < n1; ++n) {
    const typename L::T* row = base + n * w.ld;
    const float scale = w.type == WType::Q8 ? w.scales[n] : 1.0f;
    const float b = bias ? bias[n] : 0.0f;
    for (int64_t m = 0; m < M; ++m) {
      const float* xm = x + m * K;
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) acc += xm[k] * L::get(row, k);
      y[m * ldy + n] = acc * scale + b;
    }
  }
}

}  // namespace

void gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
          int64_t n0, int64_t n1) {
  switch (w.type) {
    case WType::F32: return GemvTyped<WF32>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::F16: return GemvTyped<WF16>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::BF16: return GemvTyped<WBF16>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::Q8: return GemvTyped<WQ8>(x, M, K, w, bias, y, ldy, n0, n1);
    case WType::Q4: break;  // linear sends q4 to q4_gemv / q4_pack_w (q4.h)
  }
}

}  // namespace gptj::scalar
