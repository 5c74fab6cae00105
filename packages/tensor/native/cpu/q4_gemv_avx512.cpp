// AVX-512 q4 GEMV (compiled with -mavx512f/bw/vl/dq -mfma -mf16c; called only after cpu_isa() says
// so): the vector traits for q4_gemv_impl.inc, which holds the kernel.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "gemv_avx512.h"
#include "q4.h"
#include "q4_avx512.h"

namespace gptj::avx512 {
namespace {

struct V {
  using R = __m512;
  static constexpr int64_t kLanes = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R loadx(const float* p) { return _mm512_loadu_ps(p); }
  static R set1(float f) { return _mm512_set1_ps(f); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static float reduce(R v) { return ReduceAdd(v); }
  static void group(const uint8_t* p, R w[2]) { Q4Group(p, w); }
  static void scales16(const uint16_t* h, float* f) {
    _mm512_store_ps(f, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h))));
  }
};

}  // namespace

#include "q4_gemv_impl.inc"

}  // namespace gptj::avx512
