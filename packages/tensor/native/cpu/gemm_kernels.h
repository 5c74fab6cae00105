// Building blocks of gptj::linear / gptj::gemm_f32 per SIMD level (private header).
//
// GEMV (decode, few rows of x): y[m, n] = sum_k x[m, k] * W[n, k] (* scale[n]) (+ bias[n]) for rows
// n in [n0, n1); W is read once per 4 rows of x, converted in registers, never copied.
//
// GEMM (prefill): the blocked driver in gemm.cpp packs op(A) into MR-row panels Ap[k][MR] and
// W^T / op(B) into NR-column panels Bp[k][NR] (f32, converted from the stored dtype one panel at a
// time), then calls an MR x NR register-tile microkernel over a KC-long slice of k.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace gptj {

// A weight matrix as stored: rows of `ld` elements of `type` (q8: int8 with per-row f32 scales; q4:
// 4-bit codes with an f16 scale per group of 32, see q4.h).
struct WeightView {
  const void* data;
  WType type;
  const float* scales;  // Q8 only
  int64_t ld;
  const uint16_t* group_scales = nullptr;  // Q4 only
};

// x: [M, K] row stride K; y: row stride ldy; writes y[m, n0..n1) for every m < M.
using GemvFn = void (*)(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y,
                        int64_t ldy, int64_t n0, int64_t n1);

// C tile [m <= MR, n <= NR] (row stride ldc) = alpha * sum_k Ap[k][i] * Bp[k][j], plus C itself
// when `accumulate`, else plus bias[j] when bias != nullptr. Ap, Bp zero-padded to MR / NR.
using TileFn = void (*)(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n, float alpha,
                        const float* bias, bool accumulate);

// Converts W[n0 + j, k0 .. k0 + kc) to f32 (times the q8 row scale) for j < n; writes dst[k * nr + j],
// zero for n <= j < nr.
using PackWFn = void (*)(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr);

struct GemmKernel {
  int mr, nr;
  TileFn tile;
  PackWFn pack_w;
};

namespace scalar {
void gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
          int64_t n0, int64_t n1);
void pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr);
extern const GemmKernel kGemm;
}  // namespace scalar
namespace avx2 {
void gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
          int64_t n0, int64_t n1);
extern const GemmKernel kGemm;
// avx512::gemm_dot's product with AVX2 (gemm_dot_avx2.cpp) for f32, f16, bf16 and q8 weights (not q4).
void gemm_dot(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N);
}  // namespace avx2
namespace avx512 {
void gemv(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
          int64_t n0, int64_t n1);
extern const GemmKernel kGemm;
// y[M, N] (row stride N) = x[M, K] @ W^T (* q8 scale) (+ bias) in dot-product form, threaded over the
// pool, W never packed (gemm_dot_avx512.cpp); any weight type, q4 included.
void gemm_dot(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N);
// The same product for K <= kSmallKMax in outer-product form: W converted kSmallKNR rows at a time into an L1
// panel [K][kSmallKNR], a register tile over it, no lane reductions (gemm_small_k_avx512.cpp); q4 needs K % 32 == 0.
constexpr int64_t kSmallKMax = 256, kSmallKNR = 32;
// Fewest rows of x for the small-K GEMM (linear.cpp; fewer take the dot-product GEMM). Its W panels are converted
// and transposed once per call, paid for by the rows of x; measured on the mini-code lm_head shape (W [50400, 128]
// f16, tools/bench/scripts/lmhead-gemm.mjs, one process, the two kernels alternated, GFLOP/s per CPU-second): 0.86x
// the dot-product GEMM at 12 rows, 0.94x at 16, 1.21x at 20, 1.41x at 24, 1.67x at 32. 17 is also where every part
// of kernels.test.ts's exact row-independence test starts: a row's sum order changes only across this boundary (and
// the GEMV's).
constexpr int64_t kSmallKMinRows = 17;
void gemm_small_k(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N);
// W [N, K] (K <= kSmallKMax) as gemm_small_k's panels, made once instead of per call (the runner's lm_head,
// gptj_runner.h): panel p is [K][kSmallKNR] of W rows p * kSmallKNR.., zero past N; f16 and bf16 keep their
// own type (widened in the GEMM's register tile, exactly), f32, q8 (times its row scales) and q4 (dequantized)
// are f32. gemm_small_k_packed's results equal gemm_small_k's on W, bit for bit.
struct SmallKPanels {
  const void* data;  // small_k_panels_bytes(stored, N, K) bytes, 64-byte aligned
  WType type;        // small_k_panel_type(stored)
  int64_t N, K;
};
WType small_k_panel_type(WType stored);
size_t small_k_panels_bytes(WType stored, int64_t N, int64_t K);
void small_k_pack(const WeightView& w, int64_t N, int64_t K, void* dst);
// With `best` (2 ints per row of x) each row of y is also scanned as it is made: best[2m] = the lowest n of row m's
// highest y (NaN skipped; 0 when none is above -Infinity), best[2m + 1] = the first n holding NaN or +Infinity, or
// -1 (the sequence pool's greedy pick and check, as gptj_runner.cpp's scan_row). With `skip` too (2 ints per row,
// needs best): a row m with skip[2m] >= 0 is not stored in y (the pool's rows nobody reads: 6.4 MB at 32 mini-code
// rows) unless its pick needs it: it holds NaN or +Infinity, nothing above -Infinity, or its best id is in
// [skip[2m], skip[2m + 1]); only its highest y is stored, at its best id. skip[2m] = -1 stores the row.
void gemm_small_k_packed(const float* x, int64_t M, const SmallKPanels& w, const float* bias, float* y,
                         int32_t* best = nullptr, const int32_t* skip = nullptr);
}  // namespace avx512

// Source of the packed B operand: either a weight matrix W[N, K] (linear, or gemm_f32 with transB)
// or an f32 matrix stored [K, N] with row stride ld (gemm_f32 without transB).
struct GemmB {
  WeightView w;  // used when kn == nullptr
  const float* kn = nullptr;
  int64_t kn_ld = 0;
};
// op(A)[M, K]: A[m * ld + k], or A[k * ld + m] when trans.
struct GemmA {
  const float* p;
  int64_t ld;
  bool trans;
};

// C[M, N] (row stride ldc) = alpha * op(A) @ op(B) (+ bias[N]), threaded over the pool.
void gemm_blocked(const GemmKernel& kernel, int64_t M, int64_t N, int64_t K, float alpha, const GemmA& a,
                  const GemmB& b, const float* bias, float* c, int64_t ldc);

}  // namespace gptj
