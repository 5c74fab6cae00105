// AVX-512 GEMV (compiled with -mavx512f/bw/vl/dq -mfma -mf16c; called only after cpu_isa() says
// so): the vector traits for gemv_impl.inc, which holds the kernel.
// GCC 12 reports the `__Y = __Y` placeholders inside AVX-512 intrinsics as uninitialized once they
// are inlined into loops (a false positive that GCC 13 no longer reports): silenced here only.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <array>

#include "gemm_kernels.h"
#include "gemv_avx512.h"

namespace gptj::avx512 {
namespace {

struct V {
  using R = __m512;
  static constexpr int kLanes = 16;
  // FMA chains for one row of x (gemv_impl.inc): 4 hide the FMA latency at the read rate.
  static constexpr int kMaxChains = 4;
  // Rows of x longer than kLongRowXBytes take kLongRowStreams parts (gemv_impl.inc GemvRows).
  static constexpr bool kLongRows = true;
  static R zero() { return _mm512_setzero_ps(); }
  static R loadx(const float* p) { return _mm512_loadu_ps(p); }
  static R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static float reduce(R v) { return ReduceAdd(v); }
};

}  // namespace

#include "gemv_impl.inc"

}  // namespace gptj::avx512
