// AVX-512 q4 GEMV (compiled with -mavx512f/bw/vl/dq -mfma -mf16c; called only after cpu_isa() says
// so): the vector traits for q4_gemv_impl.inc, which holds the kernel.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "gemv_avx512.h"
#include "q4.h"

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
  // Weights 0..15 are the low nibbles, 16..31 the high ones (q4.h). Each byte widened to a 32-bit lane
  // indexes a 16-entry table of code - 8 as f32 (vpermps reads only the index's low 4 bits, so the low
  // nibble needs no mask): 4 instructions for 32 weights, against 8 to subtract and convert.
  static void group(const uint8_t* p, R w[2]) {
    const __m512 table = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    w[0] = _mm512_permutexvar_ps(b, table);
    w[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4), table);
  }
  static void scales16(const uint16_t* h, float* f) {
    _mm512_store_ps(f, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h))));
  }
};

}  // namespace

#include "q4_gemv_impl.inc"

}  // namespace gptj::avx512
