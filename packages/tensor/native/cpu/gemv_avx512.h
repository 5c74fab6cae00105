// AVX-512 loads of 16 consecutive weights as f32 (q8: before the row scale), plain and masked
// (lanes outside the mask read nothing and are 0), a lane sum and a 16x16 transpose, shared by the
// AVX-512 GEMV, GEMM and q4 files.
// Include only from files compiled with -mavx512f/bw/vl/dq -mf16c.
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "gemv_scalar.h"

namespace gptj::avx512 {

// Sum of the 16 lanes. (Not _mm512_reduce_add_ps: GCC 12 warns on its undefined upper halves.)
inline float ReduceAdd(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4e));  // + the other 256-bit half
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xb1));  // + the neighbouring 128-bit lane
  __m128 s = _mm512_castps512_ps128(v);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// In-place 16x16 transpose: r[i] lane j becomes r[j] lane i. Three shuffle stages (unpack ps,
// unpack pd, 128-bit lane shuffles twice): 64 shuffles for 256 floats.
inline void Transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // u[4a + c], lane l: rows 4a..4a+3 of column 4l + c.
  for (int a = 0; a < 16; a += 4) {
    const __m512d t0 = _mm512_castps_pd(t[a]), t1 = _mm512_castps_pd(t[a + 1]);
    const __m512d t2 = _mm512_castps_pd(t[a + 2]), t3 = _mm512_castps_pd(t[a + 3]);
    u[a + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[a + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[a + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[a + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88), v1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88),
                 v3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
    r[c] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[8 + c] = _mm512_shuffle_f32x4(v0, v2, 0xdd);
    r[4 + c] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(v1, v3, 0xdd);
  }
}

inline __mmask16 TailMask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

// L::T is the stored element type; L::S reads one element, for k tails.
struct LF32 {
  using S = WF32;
  using T = float;
  static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
  static __m512 load(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};
struct LF16 {
  using S = WF16;
  using T = uint16_t;
  static __m512 load(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static __m512 load(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }
};
struct LBF16 {
  using S = WBF16;
  using T = uint16_t;
  static __m512 widen(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  static __m512 load(const uint16_t* p) { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static __m512 load(const uint16_t* p, __mmask16 m) { return widen(_mm256_maskz_loadu_epi16(m, p)); }
};
struct LQ8 {
  using S = WQ8;
  using T = int8_t;
  static __m512 widen(__m128i q) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)); }
  static __m512 load(const int8_t* p) { return widen(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static __m512 load(const int8_t* p, __mmask16 m) { return widen(_mm_maskz_loadu_epi8(m, p)); }
};

}  // namespace gptj::avx512
