// AVX-512 q4_quantize_row (q4.h; compiled with AVX-512 flags, called by q4.cpp only after cpu_isa() says so):
// the scalar quantizer's bytes, 32 weights at a time. The scalar loop (a libm nearbyintf call per weight) took
// most of a 6B q4 load's CPU time (perf: q4_quantize_row and nearbyintf 9.5% of a decode-breakdown run that
// spends most of its time creating the weights).
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "convert_scalar.h"
#include "q4.h"

namespace gptj::avx512 {
namespace {

// Codes of 16 weights: round-half-even of v * inv, + 8, clamped to 0..15 (the scalar steps, in the same order).
inline __m512i Codes16(__m512 v, __m512 inv) {
  const __m512 r = _mm512_roundscale_ps(_mm512_mul_ps(v, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 c = _mm512_add_ps(r, _mm512_set1_ps(8.0f));
  return _mm512_cvttps_epi32(_mm512_min_ps(_mm512_max_ps(c, _mm512_setzero_ps()), _mm512_set1_ps(15.0f)));
}

}  // namespace

void q4_quantize_row(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales) {
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t g = 0; g < cols / kQ4Group; ++g) {
    const float* xg = x + g * kQ4Group;
    const __m512 a = _mm512_loadu_ps(xg), b = _mm512_loadu_ps(xg + 16);
    const __m512 abs_a = _mm512_andnot_ps(sign, a), abs_b = _mm512_andnot_ps(sign, b);
    const float m = _mm512_reduce_max_ps(_mm512_max_ps(abs_a, abs_b));
    // The first value of the largest magnitude, sign kept (the scalar loop's strict >); +0 when all are zero.
    float peak = 0.0f;
    if (m > 0.0f) {
      const __m512 mv = _mm512_set1_ps(m);
      const uint32_t hits = _mm512_cmpeq_ps_mask(abs_a, mv) | (uint32_t{_mm512_cmpeq_ps_mask(abs_b, mv)} << 16);
      peak = xg[__builtin_ctz(hits)];
    }
    scales[g] = float_to_half(peak / -8.0f);
    const float d = half_to_float(scales[g]);
    const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    const __m512i lo = Codes16(a, inv), hi = Codes16(b, inv);  // byte i: weight i low, weight i + 16 high
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + g * 16),
                     _mm512_cvtepi32_epi8(_mm512_or_si512(lo, _mm512_slli_epi32(hi, 4))));
  }
}

}  // namespace gptj::avx512
