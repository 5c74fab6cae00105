// AVX2 + F16C loads of 8 consecutive weights as f32 (q8: before the row scale), shared by
// gemv_avx2.cpp and gemm_avx2.cpp. Include only from files compiled with -mavx2 -mfma -mf16c.
#pragma once
#include <immintrin.h>

#include "gemv_scalar.h"

namespace gptj::avx2 {

// L::T is the stored element type; L::S reads one element, for k tails.
struct LF32 {
  using T = float;
  using S = WF32;
  static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
};
struct LF16 {
  using T = uint16_t;
  using S = WF16;
  static __m256 load(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
};
struct LBF16 {
  using T = uint16_t;
  using S = WBF16;
  static __m256 load(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
};
struct LQ8 {
  using T = int8_t;
  using S = WQ8;
  static __m256 load(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
};

}  // namespace gptj::avx2
