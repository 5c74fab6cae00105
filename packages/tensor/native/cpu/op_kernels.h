// Kernels behind op bindings that the GPT-J runner (gptj_runner.cpp) also calls directly, so that
// both paths compute the same floats. All run on the calling thread plus the pool (par); call them
// under compute_mutex(). Layouts are row-major and contiguous.
#pragma once
#include <cstdint>

#include "storage.h"

namespace gptj {

// dst f32 [cols] = row r of src, a [rows, cols] block of f32/f16/bf16/q8 (q8: values times the row
// scale, the scales stored after the values as in q8_scales_offset).
void row_to_f32(const uint8_t* src, DType dt, int64_t rows, int64_t cols, int64_t r, float* dst);

// out f32 [n, D] = table[ids[i]] converted to f32; table [V, D] of f32/f16/bf16/q8 (q8: values
// times the row scale). ids must already be checked to lie in [0, V).
void embedding_rows(const uint8_t* table, DType dt, int64_t V, int64_t D, const int32_t* ids, int64_t n, float* out);

// y [rows, D] = (x - mean) / sqrt(var + eps) * g + b per row of x [rows, D] (biased variance); g, b f32 [D].
void layernorm_rows(const float* x, const float* g, const float* b, float* y, int64_t rows, int64_t D, float eps);

// out[i] = gelu(x[i]) for n floats (out may alias x): tanh approximation (HF gelu_new) when approx,
// else the exact erf form.
void gelu_kernel(const float* x, float* out, int64_t n, bool approx);

// x, out f32 [B, T, H, D] (out may alias x); positions i32 [B, T]. Rotates the first rd dims of each
// head: interleaved pairs (2i, 2i+1) (GPT-J), else (i, i + rd/2) (NeoX); the rest are copied.
void rotary_kernel(const float* x, const int32_t* positions, float* out, int64_t B, int64_t T, int64_t H, int64_t D,
                   int64_t rd, bool interleaved, float base);

// Causal attention of T new queries per row over a KV cache.
//   q, out [B, T, H, D]; k, v [B, H, Tmax, D]; mask i32 [B, L] (1 keep, 0 pad) or null; L = kvLength.
//   Query t sits at position L - T + t and sees keys j <= that position with mask[b, j] != 0.
struct AttnArgs {
  const float *q, *k, *v;
  const int32_t* mask;
  float* out;
  int64_t B, T, H, D, Tmax, L;
  float scale;
};
void attention_kernel(const AttnArgs& a);

}  // namespace gptj
