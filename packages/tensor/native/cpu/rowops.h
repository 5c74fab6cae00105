// Vectorized row kernels (one table per ISA, chosen once at run time from the CPU's features).
// The same source (rowops_impl.inc) is compiled three times: baseline x86-64 (rowops_base.cpp),
// AVX2+FMA (rowops_avx2.cpp) and AVX-512 (rowops_avx512.cpp); `#pragma omp simd` lets the compiler
// vectorize the float reductions (built with -fopenmp-simd, no OpenMP runtime involved).
#pragma once
#include <cstdint>

namespace gptj {

struct RowOps {
  const char* isa;
  // y[D] = (x - mean(x)) / sqrt(var(x) + eps) * g + b      (biased variance)
  void (*layernorm)(const float* x, const float* g, const float* b, float* y, int64_t D, float eps);
  // y[V] = softmax(x[V])
  void (*softmax)(const float* x, float* y, int64_t V);
  // y[n] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  void (*gelu_tanh)(const float* x, float* y, int64_t n);
  // s[j] = scale * sum_d q[d] k[j * D + d], for m contiguous rows of k. A row's sum is computed the same way
  // whatever m and its place among them: the session's row attention and the paged attention split one
  // sequence's keys into different runs and must agree bit for bit.
  void (*dot_rows)(const float* q, const float* k, int64_t m, int64_t D, float scale, float* s);
  // acc[d] += sum_j p[j] v[j * D + d] over m contiguous rows of v, j in order (as m axpy calls)
  void (*axpy_rows)(const float* p, const float* v, int64_t m, int64_t D, float* acc);
  // x[i] = exp(x[i] - m), returns the sum of the results
  float (*exp_sub_sum)(float* x, float m, int64_t n);
  // q[n] = round-half-even(x / s) with s = absmax(x) / 127 (0 for an all-zero row); returns s
  float (*quantize_q8)(const float* x, int8_t* q, int64_t n);
};

const RowOps& rowops();

extern const RowOps rowops_base;
extern const RowOps rowops_avx2;
extern const RowOps rowops_avx512;

}  // namespace gptj
