// gptj::linear and gptj::gemm_f32 (kernels.h): pick GEMV or blocked GEMM and the SIMD level.
#include "gemm_kernels.h"
#include "kernels.h"
#include "linear_isa.h"

namespace gptj {
namespace {

// Up to this many rows of x, stream W once per 4 rows (GEMV); beyond, packing W panels pays off.
constexpr int64_t kGemvMaxRows = 4;
// Rows of W per pool chunk unit in GEMV, so chunks start on a 4-row group.
constexpr int64_t kGemvRowGroup = 4;

GemvFn PickGemv() {
  switch (cpu_isa()) {
    case Isa::Avx512: return avx512::gemv;
    case Isa::Avx2: return avx2::gemv;
    default: return scalar::gemv;
  }
}

const GemmKernel& PickGemm() {
  switch (cpu_isa()) {
    case Isa::Avx512: return avx512::kGemm;
    case Isa::Avx2: return avx2::kGemm;
    default: return scalar::kGemm;
  }
}

}  // namespace

void linear(const float* x, int64_t M, int64_t K, const void* W, WType wt, const float* scales, const float* bias,
            float* y, int64_t N) {
  if (M <= 0 || N <= 0) return;
  const WeightView w{W, wt, scales, K};
  if (M <= kGemvMaxRows) {
    const GemvFn gemv = PickGemv();
    const int64_t groups = (N + kGemvRowGroup - 1) / kGemvRowGroup;
    parallel_for(groups, [&](int64_t g0, int64_t g1) {
      const int64_t n1 = g1 * kGemvRowGroup < N ? g1 * kGemvRowGroup : N;
      gemv(x, M, K, w, bias, y, N, g0 * kGemvRowGroup, n1);
    });
    return;
  }
  gemm_blocked(PickGemm(), M, N, K, 1.0f, GemmA{x, K, false}, GemmB{w}, bias, y, N);
}

void gemm_f32(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
              const float* B, int64_t ldb, float* C, int64_t ldc) {
  GemmB b{WeightView{B, WType::F32, nullptr, ldb}};
  if (!transB) {
    b.kn = B;
    b.kn_ld = ldb;
  }
  gemm_blocked(PickGemm(), M, N, K, alpha, GemmA{A, lda, transA}, b, nullptr, C, ldc);
}

}  // namespace gptj
