// Device-side helpers for the GPU benchmark (tools/gpu-bench): random weights generated on the GPU
// (a 12 GB model is not worth uploading) and a plain streaming read to measure the memory
// bandwidth that the decode floor is computed from.
#include "bench.h"
#include "common.cuh"

namespace gptj_cuda {
namespace {

__device__ __forceinline__ float hash_uniform(uint64_t i, uint64_t seed) {  // [-1, 1)
  uint64_t z = i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.f / 16777216.f) - 1.f;
}

template <typename T>
__global__ void fill_kernel(T* p, int64_t n, uint64_t seed, float amp) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    p[i] = from_f32<T>(hash_uniform(i, seed) * amp);
}

__global__ void fill_q8_kernel(int8_t* q, float* scales, int64_t rows, int64_t cols, uint64_t seed, float amp) {
  const int64_t n = rows * cols;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    q[i] = static_cast<int8_t>(rintf(hash_uniform(i, seed) * 127.f));
    if (i < rows) scales[i] = amp / 127.f;
  }
}

// Reads every 16-byte word; the xor is written only if it hits an impossible value, so the loads
// cannot be optimized away and almost nothing is written.
__global__ void read_kernel(const uint4* p, int64_t n, unsigned* sink) {
  unsigned acc = 0;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcs(p + i);
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9E3779B9u) *sink = acc;
}

}  // namespace

void fill_random(void* p, int dt, int64_t rows, int64_t cols, uint64_t seed, float amp, int8_t* q8, float* q8_scales,
                 cudaStream_t s) {
  const unsigned grid = 4 * static_cast<unsigned>(sm_count()) * 8;
  const int64_t n = rows * cols;
  if (dt == DT_Q8)
    fill_q8_kernel<<<grid, 256, 0, s>>>(q8, q8_scales, rows, cols, seed, amp);
  else if (dt == DT_F16)
    fill_kernel<<<grid, 256, 0, s>>>(static_cast<__half*>(p), n, seed, amp);
  else if (dt == DT_BF16)
    fill_kernel<<<grid, 256, 0, s>>>(static_cast<__nv_bfloat16*>(p), n, seed, amp);
  else
    fill_kernel<<<grid, 256, 0, s>>>(static_cast<float*>(p), n, seed, amp);
}

double read_bandwidth(const void* p, int64_t bytes, int iters, unsigned* sink, cudaStream_t s) {
  const int64_t n = bytes / 16;
  const unsigned grid = 8 * static_cast<unsigned>(sm_count());
  read_kernel<<<grid, 1024, 0, s>>>(static_cast<const uint4*>(p), n, sink);  // warm-up
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  cudaEventRecord(a, s);
  for (int i = 0; i < iters; ++i) read_kernel<<<grid, 1024, 0, s>>>(static_cast<const uint4*>(p), n, sink);
  cudaEventRecord(b, s);
  cudaEventSynchronize(b);
  float ms = 0.f;
  cudaEventElapsedTime(&ms, a, b);
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms > 0.f ? static_cast<double>(n * 16) * iters / (ms * 1e-3) : 0.0;
}

}  // namespace gptj_cuda
