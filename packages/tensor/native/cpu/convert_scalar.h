// Scalar f16/bf16 <-> f32 conversions of one value (private header). Bit-exact with the F16C /
// AVX-512 paths: round to nearest even, subnormals kept, NaN stays NaN (quieted, payload truncated).
#pragma once
#include <cstdint>
#include <cstring>

namespace gptj {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0) return bits_f32(sign | f32_bits(static_cast<float>(man) * 0x1p-24f));         // zero/subnormal
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (man << 13) | (man ? 0x400000u : 0u));  // inf/quiet NaN
  return bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

inline uint16_t float_to_half(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {  // inf, or NaN made quiet with the top 9 payload bits kept
    return static_cast<uint16_t>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u | ((ax >> 13) & 0x3ffu) : 0u));
  }
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (ax < 0x38800000u) {
    // Below 2^-14: the result is round(|f| * 2^24). Adding 0.5 (ulp 2^-24) makes the FPU round it.
    return static_cast<uint16_t>(sign | (f32_bits(bits_f32(ax) + 0.5f) - 0x3f000000u));
  }
  ax += 0xc8000fffu + ((ax >> 13) & 1u);  // rebias the exponent (-112 << 23) and round half to even
  return static_cast<uint16_t>(sign | (ax >> 13));
}

inline float bf16_to_float(uint16_t b) { return bits_f32(static_cast<uint32_t>(b) << 16); }

inline uint16_t float_to_bf16(float f) {
  const uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace gptj
