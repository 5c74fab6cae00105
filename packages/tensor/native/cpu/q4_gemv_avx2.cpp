// AVX2 q4 GEMV (compiled with -mavx2 -mfma -mf16c; called only after cpu_isa() says so): the vector
// traits for q4_gemv_impl.inc, which holds the kernel.
#include <immintrin.h>

#include "q4.h"

namespace gptj::avx2 {
namespace {

struct V {
  using R = __m256;
  static constexpr int64_t kLanes = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R loadx(const float* p) { return _mm256_loadu_ps(p); }
  static R set1(float f) { return _mm256_set1_ps(f); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static float reduce(R v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Weights 0..15 are the low nibbles, 16..31 the high ones (q4.h); code - 8 in int8, then f32.
  static void group(const uint8_t* p, R w[4]) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), mask = _mm_set1_epi8(15),
                  eight = _mm_set1_epi8(8);
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(b, mask), eight);
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(b, 4), mask), eight);
    w[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
    w[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)));
    w[2] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
    w[3] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)));
  }
  static void scales16(const uint16_t* h, float* f) {
    _mm256_store_ps(f, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h))));
    _mm256_store_ps(f + 8, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 8))));
  }
};

}  // namespace

#include "q4_gemv_impl.inc"

}  // namespace gptj::avx2
