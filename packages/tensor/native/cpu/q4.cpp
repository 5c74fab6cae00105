// q4 (layout in q4.h): quantize / dequantize one row, and the portable GEMV and GEMM panel packing that
// the SIMD paths must match.
#include "q4.h"

#include <cmath>

#include "convert_scalar.h"
#include "linear_isa.h"

namespace gptj {

void q4_quantize_row(const float* x, int64_t cols, uint8_t* codes, uint16_t* scales) {
#if defined(__x86_64__)  // the SIMD kernels are built on x86-64 only (CMakeLists.txt)
  if (cpu_isa() == Isa::Avx512) return avx512::q4_quantize_row(x, cols, codes, scales);
#endif
  for (int64_t g = 0; g < cols / kQ4Group; ++g) {
    const float* xg = x + g * kQ4Group;
    float peak = 0.0f;  // the value of largest magnitude, sign kept
    for (int j = 0; j < kQ4Group; ++j)
      if (std::fabs(xg[j]) > std::fabs(peak)) peak = xg[j];
    scales[g] = float_to_half(peak / -8.0f);
    const float d = half_to_float(scales[g]), inv = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t q[kQ4Group];
    for (int j = 0; j < kQ4Group; ++j) {
      const float c = std::nearbyint(xg[j] * inv) + 8.0f;  // round half to even (the default mode)
      q[j] = static_cast<uint8_t>(c < 0.0f ? 0.0f : c > 15.0f ? 15.0f : c);
    }
    for (int i = 0; i < kQ4Group / 2; ++i) codes[g * 16 + i] = static_cast<uint8_t>(q[i] | (q[i + 16] << 4));
  }
}

void q4_dequantize_row(const uint8_t* codes, const uint16_t* scales, int64_t cols, float* dst) {
  for (int64_t g = 0; g < cols / kQ4Group; ++g) {
    const float d = half_to_float(scales[g]);
    for (int i = 0; i < kQ4Group / 2; ++i) {
      const uint8_t b = codes[g * 16 + i];
      dst[g * kQ4Group + i] = static_cast<float>((b & 15) - 8) * d;
      dst[g * kQ4Group + i + 16] = static_cast<float>((b >> 4) - 8) * d;
    }
  }
}

namespace scalar {

void q4_gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
             int64_t n0, int64_t n1) {
  const auto* codes = static_cast<const uint8_t*>(w.data);
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* row = codes + n * (K / 2);
    const uint16_t* d = w.group_scales + n * (K / kQ4Group);
    for (int64_t m = 0; m < M; ++m) {
      const float* xm = x + m * K;
      float acc = 0.0f;
      for (int64_t g = 0; g < K / kQ4Group; ++g) {
        float s = 0.0f;
        for (int i = 0; i < kQ4Group / 2; ++i) {
          const uint8_t b = row[g * 16 + i];
          s += xm[g * kQ4Group + i] * static_cast<float>((b & 15) - 8) +
               xm[g * kQ4Group + i + 16] * static_cast<float>((b >> 4) - 8);
        }
        acc += s * half_to_float(d[g]);
      }
      y[m * ldy + n] = acc + (bias ? bias[n] : 0.0f);
    }
  }
}

// GEMM (prefill) is compute-bound, so its q4 panels are plain dequantized f32 (gemm_kernels.h PackWFn);
// k0 and kc are multiples of 32 because K and the driver's KC (256) are.
void q4_pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  const int64_t K = w.ld;
  float row[256];
  for (int j = 0; j < nr; ++j) {
    for (int64_t k0s = 0; k0s < kc; k0s += 256) {
      const int64_t len = kc - k0s < 256 ? kc - k0s : 256;
      if (j < n)
        q4_dequantize_row(static_cast<const uint8_t*>(w.data) + (n0 + j) * (K / 2) + (k0 + k0s) / 2,
                          w.group_scales + (n0 + j) * (K / kQ4Group) + (k0 + k0s) / kQ4Group, len, row);
      for (int64_t k = 0; k < len; ++k) dst[(k0s + k) * nr + j] = j < n ? row[k] : 0.0f;
    }
  }
}

}  // namespace scalar
}  // namespace gptj
