// On-device argmax and top-k over the last dim of x f32 [rows, V], one 1024-thread block per row,
// so a greedy step copies back 4 bytes per row instead of the logits.
// Order: larger value first, equal values -> lower index first; NaN is never picked.
// top-k runs k passes; pass p picks the best element that comes strictly after the pick of pass p-1
// in that order (no list of excluded indices needed). k is small in sampling (<= a few hundred).
#include <climits>

#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kThreads = 1024;

struct Cand {
  float v;
  int i;
};

__device__ __forceinline__ bool better(const Cand& a, const Cand& b) { return a.v > b.v || (a.v == b.v && a.i < b.i); }

__device__ __forceinline__ Cand block_best(Cand c, Cand* red) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    Cand other{__shfl_xor_sync(0xffffffffu, c.v, o), __shfl_xor_sync(0xffffffffu, c.i, o)};
    if (better(other, c)) c = other;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) red[warp] = c;
  __syncthreads();
  c = lane < (blockDim.x >> 5) ? red[lane] : Cand{-INFINITY, INT_MAX};
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    Cand other{__shfl_xor_sync(0xffffffffu, c.v, o), __shfl_xor_sync(0xffffffffu, c.i, o)};
    if (better(other, c)) c = other;
  }
  return c;
}

// Best element of the row that comes strictly after `prev` in the order (prev.i < 0: no previous).
__device__ Cand best_after(const float* x, int V, Cand prev, Cand* red) {
  Cand c{-INFINITY, INT_MAX};
  for (int i = threadIdx.x; i < V; i += blockDim.x) {
    const float v = x[i];
    if (v != v) continue;  // NaN
    if (prev.i >= 0 && !(v < prev.v || (v == prev.v && i > prev.i))) continue;
    const Cand e{v, i};
    if (better(e, c)) c = e;
  }
  return block_best(c, red);
}

__global__ void __launch_bounds__(kThreads) argmax_kernel(const float* x, int V, int32_t* out) {
  __shared__ Cand red[32];
  const Cand c = best_after(x + static_cast<int64_t>(blockIdx.x) * V, V, Cand{0.f, -1}, red);
  if (threadIdx.x == 0) out[blockIdx.x] = c.i == INT_MAX ? 0 : c.i;
}

__global__ void __launch_bounds__(kThreads) topk_kernel(const float* x, int V, int k, float* values, int32_t* indices) {
  __shared__ Cand red[32];
  const float* xr = x + static_cast<int64_t>(blockIdx.x) * V;
  Cand prev{0.f, -1};
  for (int p = 0; p < k; ++p) {
    const Cand c = best_after(xr, V, prev, red);
    if (threadIdx.x == 0) {
      values[static_cast<int64_t>(blockIdx.x) * k + p] = c.i == INT_MAX ? NAN : c.v;
      indices[static_cast<int64_t>(blockIdx.x) * k + p] = c.i == INT_MAX ? -1 : c.i;
    }
    prev = c;
  }
}

}  // namespace

void argmax(const float* x, int64_t rows, int64_t V, int32_t* out, cudaStream_t stream) {
  if (rows == 0) return;
  argmax_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(x, static_cast<int>(V), out);
}

void topk(const float* x, int64_t rows, int64_t V, int k, float* values, int32_t* indices, cudaStream_t stream) {
  if (rows == 0 || k == 0) return;
  topk_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(x, static_cast<int>(V), k, values, indices);
}

}  // namespace gptj_cuda
