// AVX2 + FMA + F16C GEMV (compiled with -mavx2 -mfma -mf16c; called only after cpu_isa() says so):
// the vector traits for gemv_impl.inc, which holds the kernel.
#include <immintrin.h>

#include <array>

#include "gemm_kernels.h"
#include "gemv_avx2.h"

namespace gptj::avx2 {
namespace {

struct V {
  using R = __m256;
  static constexpr int kLanes = 8;
  // FMA chains for one row of x (gemv_impl.inc): 4 per W row with 2 parts, plus weights and x, fit 16 registers.
  static constexpr int kMaxChains = 4;
  // Long rows keep kStreams (gemv_impl.inc GemvRows): four f16 parts' 16 accumulators would take every
  // register (not measured).
  static constexpr bool kLongRows = false;
  static R zero() { return _mm256_setzero_ps(); }
  static R loadx(const float* p) { return _mm256_loadu_ps(p); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static float reduce(R v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

}  // namespace

#include "gemv_impl.inc"

}  // namespace gptj::avx2
