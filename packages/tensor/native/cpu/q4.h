// q4: group-wise 4-bit weight-only matrices (private header; layout also in dtype.ts and the README).
//
// A q4 matrix [rows, cols] (cols a multiple of 32) is cut, row by row, into groups of 32 consecutive
// weights; each group stores 16 bytes of 4-bit codes and one f16 scale d, and
//   real[r, 32 g + j] = (code(r, g, j) - 8) * d[r, g]            code in 0..15, so real in [-8d, 7d].
// One storage holds, in this order:
//   codes   rows * cols / 2 bytes, row-major, 16 bytes per group: byte i of a group holds weight i in
//           its low nibble and weight i + 16 in its high nibble (so one 16-byte load gives weights
//           0..15 as `b & 15` and 16..31 as `b >> 4`);
//   padding zero bytes up to a multiple of 64 (q4_scales_offset);
//   scales  rows * cols / 32 f16 values, row-major (group g of row r at r * cols / 32 + g).
// 18 bytes per 32 weights: 4.5 bits a weight, 28% of f16. A group whose largest |x| is below
// 8 * 2^-24 (f16's smallest subnormal) gets d = 0 and reads back as zeros. Symmetric, no zero point: the group's
// largest-magnitude value x_m maps to code 0 exactly (d = x_m / -8), so the 16 codes are all used
// (7 on the far side of zero); codes are round-to-nearest-even of x / d + 8, clamped to 0..15, with d
// first rounded to f16 so the codes fit the stored scale.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "gemm_kernels.h"

namespace gptj {

constexpr int64_t kQ4Group = 32;
// |x| above this needs a scale beyond f16's largest finite value (65504 * 8).
constexpr float kQ4MaxAbs = 65504.0f * 8.0f;

inline int64_t q4_scales_offset(int64_t rows, int64_t cols) { return (rows * cols / 2 + 63) / 64 * 64; }
inline double q4_bytes_d(double rows, double cols) {
  return std::ceil(rows * cols / 128) * 64 + rows * cols / 16;
}  // see q8_bytes_d

// One row of cols (a multiple of 32) f32 values -> codes (cols / 2 bytes) and scales (cols / 32).
// The values must be finite with |x| <= kQ4MaxAbs (cast.cpp checks first).
void q4_quantize_row(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales);
// The inverse: dst[cols] = (code - 8) * d.
void q4_dequantize_row(const uint8_t* codes, const uint16_t* scales, int64_t cols, float* dst);

// The q4 weights of linear: w.data = codes, w.group_scales = scales, w.ld = K (a multiple of 32).
namespace scalar {
void q4_gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
             int64_t n0, int64_t n1);
void q4_pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr);
}  // namespace scalar
namespace avx2 {
void q4_gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
             int64_t n0, int64_t n1);
}  // namespace avx2
namespace avx512 {
void q4_quantize_row(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales);  // the same bytes
void q4_gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
             int64_t n0, int64_t n1);
void q4_pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr);  // nr % 16 == 0
// x rounded to int8 in groups of 32 first: see q4_gemv_avx512vnni.cpp for how far y may move.
void q4_gemv_vnni(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                  int64_t n0, int64_t n1);
// The same in two steps, so that the chunks of one parallel GEMV share one rounding of x (linear.cpp): with
// each chunk rounding x itself, a GEMV at 2 threads rounded it 16 times, up to 3 us (K 4096) and 5 us (K 16384)
// of CPU each, an estimated 5 ms of CPU per 6B q4 decode step.
struct alignas(64) Q4Block64 {
  int8_t b[64];
};
struct Q4RoundedX {
  std::vector<Q4Block64> blocks;  // q4_x_blocks(K) per row of x
  int64_t M = 0, K = 0;
};
int64_t q4_x_blocks(int64_t K);
// x [M, K] rounded into this thread's buffer, valid until the thread's next call (other threads may read it).
const Q4RoundedX& q4_round_x(const float* x, int64_t M, int64_t K);
void q4_gemv_rounded(const Q4RoundedX& x, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
                     int64_t n1);
}  // namespace avx512

}  // namespace gptj
