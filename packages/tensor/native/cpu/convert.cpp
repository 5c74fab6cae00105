// f16/bf16 <-> f32 buffer conversions (kernels.h): dispatch to the widest SIMD path, scalar otherwise.
// Large buffers (checkpoint casts) are split over the thread pool.
#include "convert_scalar.h"
#include "convert_simd.h"
#include "kernels.h"
#include "linear_isa.h"

namespace gptj {
namespace {

// Below this many elements one thread is faster than waking the pool.
constexpr int64_t kParallelMin = 1 << 16;

template <typename Src, typename Dst>
void Split(const Src* src, Dst* dst, int64_t n, void (*kernel)(const Src*, Dst*, int64_t)) {
  if (n < kParallelMin) {
    kernel(src, dst, n);
    return;
  }
  const int64_t blocks = (n + kParallelMin - 1) / kParallelMin;
  parallel_for(blocks, [&](int64_t b0, int64_t b1) {
    const int64_t i0 = b0 * kParallelMin, i1 = b1 * kParallelMin < n ? b1 * kParallelMin : n;
    kernel(src + i0, dst + i0, i1 - i0);
  });
}

void f16_to_f32_scalar(const uint16_t* s, float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = half_to_float(s[i]);
}
void f32_to_f16_scalar(const float* s, uint16_t* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = float_to_half(s[i]);
}
void bf16_to_f32_scalar(const uint16_t* s, float* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_float(s[i]);
}
void f32_to_bf16_scalar(const float* s, uint16_t* d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = float_to_bf16(s[i]);
}

// One set of the four conversions per SIMD level.
struct Converters {
  void (*f16_to_f32)(const uint16_t*, float*, int64_t);
  void (*f32_to_f16)(const float*, uint16_t*, int64_t);
  void (*bf16_to_f32)(const uint16_t*, float*, int64_t);
  void (*f32_to_bf16)(const float*, uint16_t*, int64_t);
};

const Converters& Pick() {
  static const Converters kScalar{f16_to_f32_scalar, f32_to_f16_scalar, bf16_to_f32_scalar, f32_to_bf16_scalar};
#if defined(__x86_64__)  // the SIMD kernels are built on x86-64 only (CMakeLists.txt)
  static const Converters kAvx2{avx2::f16_to_f32, avx2::f32_to_f16, avx2::bf16_to_f32, avx2::f32_to_bf16};
  static const Converters kAvx512{avx512::f16_to_f32, avx512::f32_to_f16, avx512::bf16_to_f32, avx512::f32_to_bf16};
  switch (cpu_isa()) {
    case Isa::Avx512: return kAvx512;
    case Isa::Avx2: return kAvx2;
    default: break;
  }
#endif
  return kScalar;
}

}  // namespace

void f16_to_f32(const uint16_t* src, float* dst, int64_t n) { Split(src, dst, n, Pick().f16_to_f32); }
void f32_to_f16(const float* src, uint16_t* dst, int64_t n) { Split(src, dst, n, Pick().f32_to_f16); }
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n) { Split(src, dst, n, Pick().bf16_to_f32); }
void f32_to_bf16(const float* src, uint16_t* dst, int64_t n) { Split(src, dst, n, Pick().f32_to_bf16); }

}  // namespace gptj
