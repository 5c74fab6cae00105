// Contract between the tensor core (addon bindings, elementwise ops, attention) and the
// compute kernels (GEMM/GEMV, thread pool). Layouts are row-major and contiguous.
#pragma once
#include <cstdint>
#include <functional>

namespace gptj {

// Storage type of a weight matrix as a checkpoint stores it.
// Codes match DType's (Q4 = 5: DType 4 is i32).
enum class WType : int { F32 = 0, F16 = 1, BF16 = 2, Q8 = 3, Q4 = 5 };

// Bytes of one stored row of K weights of type t (q4: its codes only; the f16 group scales follow all rows).
inline int64_t w_row_bytes(WType t, int64_t K) {
  switch (t) {
    case WType::F32: return 4 * K;
    case WType::Q8: return K;
    case WType::Q4: return K / 2;
    default: return 2 * K;  // f16, bf16
  }
}

// y[M,N] = x[M,K] @ W[N,K]^T (+ bias[N]).
//   x: f32 activations, row stride K.       W: N rows of K elements of type wt, row stride K.
//   scales: only for Q8: per-row f32 scale, W_real[n,k] = int8 W[n,k] * scales[n]; nullptr otherwise.
//   Q4: W is the whole q4 storage of [N, K] (codes, then the f16 group scales: q4.h); K % 32 == 0.
//   bias: nullptr or f32[N].                y: f32, row stride N (overwritten, not accumulated).
// M == 1..few is the decode case (bandwidth-bound GEMV), large M is prefill (compute-bound GEMM).
// Multi-threaded over the shared pool; safe to call from any one thread at a time.
void linear(const float* x, int64_t M, int64_t K, const void* W, WType wt, const float* scales, const float* bias,
            float* y, int64_t N);

// C[M,N] = alpha * op(A) @ op(B) for f32 matrices with explicit row strides (lda, ldb, ldc),
// op(A) = A[M,K] or A^T when transA (A stored [K,M]); op(B) = B[K,N] or B^T when transB (B stored [N,K]).
void gemm_f32(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
              const float* B, int64_t ldb, float* C, int64_t ldc);

// Thread pool shared by every kernel. fn(begin, end) is called on disjoint chunks covering [0, n).
void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);
void set_num_threads(int n);  // n >= 1
int num_threads();            // default: the cores in the CPU affinity mask, or $GPTJ_THREADS up to that

// f16/bf16 <-> f32 conversion of whole buffers (SIMD where the CPU has it).
void f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);  // round to nearest even
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_bf16(const float* src, uint16_t* dst, int64_t n);  // round to nearest even, NaN kept NaN

}  // namespace gptj
