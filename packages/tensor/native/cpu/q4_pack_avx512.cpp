// AVX-512 q4 GEMM panel packing (gemm_kernels.h PackWFn; compiled with AVX-512 flags, used only after
// cpu_isa() says so): prefill is compute-bound, so the q4 weights are dequantized into the f32 panels the
// GEMM tile reads. Per 16 rows and one group (32 k): each row's 32 weights times its scale, then two
// 16x16 transposes into k-major panel rows. The scalar packing (q4.cpp) made q4 prefill 1.8x slower than
// f16 (x[64, 4096] @ [16384, 4096]: 130 ms against 74, same run); this one 52 ms against 85 (2 threads).
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "gemv_avx512.h"
#include "q4.h"
#include "q4_avx512.h"

namespace gptj::avx512 {

void q4_pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  const int64_t K = w.ld, groups = K / kQ4Group;
  const auto* codes = static_cast<const uint8_t*>(w.data);
  for (int g = 0; g < nr; g += 16) {
    const int rows = n - g < 16 ? (n - g > 0 ? n - g : 0) : 16;
    for (int64_t kb = 0; kb < kc; kb += kQ4Group) {  // kc is a multiple of 32 (q4.cpp q4_pack_w)
      const int64_t group = (k0 + kb) / kQ4Group;
      __m512 lo[16], hi[16];
      for (int i = 0; i < 16; ++i) {
        if (i >= rows) {
          lo[i] = hi[i] = _mm512_setzero_ps();
          continue;
        }
        const int64_t row = n0 + g + i;
        __m512 v[2];
        Q4Group(codes + row * (K / 2) + group * 16, v);
        const __m512 d = _mm512_set1_ps(_cvtsh_ss(w.group_scales[row * groups + group]));
        lo[i] = _mm512_mul_ps(v[0], d);
        hi[i] = _mm512_mul_ps(v[1], d);
      }
      Transpose16(lo);
      Transpose16(hi);
      for (int k = 0; k < 16; ++k) _mm512_store_ps(dst + (kb + k) * nr + g, lo[k]);
      for (int k = 0; k < 16; ++k) _mm512_store_ps(dst + (kb + 16 + k) * nr + g, hi[k]);
    }
  }
}

}  // namespace gptj::avx512
