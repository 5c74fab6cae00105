// The 32 weights (code - 8) of one q4 group as f32 in AVX-512 registers, shared by the q4 GEMV and the
// q4 GEMM panel packing. Include only from files compiled with AVX-512 flags.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace gptj::avx512 {

// Weights 0..15 are the low nibbles, 16..31 the high ones (q4.h). Each byte widened to a 32-bit lane
// indexes a 16-entry table of code - 8 as f32 (vpermps reads only the index's low 4 bits, so the low
// nibble needs no mask): 4 instructions for 32 weights, against 8 to subtract and convert.
inline void Q4Group(const uint8_t* p, __m512 w[2]) {
  const __m512 table = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  w[0] = _mm512_permutexvar_ps(b, table);
  w[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4), table);
}

}  // namespace gptj::avx512
