// Fused layer norm: one 256-thread block per row of x f32 [rows, D]; mean and variance in f32 (two
// passes over the row), then normalize, scale and shift in one write. Rows of up to 8192 floats
// (D % 4 == 0) are read once, as float4s held in registers: every load of the row is in flight at
// once, which is what a decode step's single row needs (the loop version waits on L2 per pass).
// gamma/beta may be f32/f16/bf16; the output dtype is chosen by the caller (f16/bf16 when it feeds a
// GEMM/GEMV in the runner, f32 in the per-op path).
#include "common.cuh"

namespace gptj_cuda {
namespace {

template <typename YT>
__global__ void __launch_bounds__(256) layer_norm_kernel(const float* x, int64_t D, const void* gamma, int gdt,
                                                         const void* beta, int bdt, float eps, YT* y) {
  __shared__ float red[32];
  const float* xr = x + static_cast<int64_t>(blockIdx.x) * D;
  YT* yr = y + static_cast<int64_t>(blockIdx.x) * D;
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) s += xr[i];
  const float mean = block_sum(s, red) / static_cast<float>(D);
  float v = 0.f;
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
    const float d = xr[i] - mean;
    v += d * d;
  }
  const float rstd = 1.f / sqrtf(block_sum(v, red) / static_cast<float>(D) + eps);
  for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
    yr[i] = from_f32<YT>((xr[i] - mean) * rstd * load_any(gamma, gdt, i) + load_any(beta, bdt, i));
}

constexpr int kThreads = 256, kMaxVec = 8;  // register path: D <= 4 * kThreads * kMaxVec

template <typename YT>
__global__ void __launch_bounds__(kThreads) layer_norm_reg_kernel(const float* x, int64_t D, const void* gamma, int gdt,
                                                                  const void* beta, int bdt, float eps, YT* y) {
  __shared__ float red[32];
  const int nv = static_cast<int>(D / 4);
  const float4* xr = reinterpret_cast<const float4*>(x + static_cast<int64_t>(blockIdx.x) * D);
  YT* yr = y + static_cast<int64_t>(blockIdx.x) * D;
  float4 v[kMaxVec];
  float s = 0.f;
#pragma unroll
  for (int j = 0; j < kMaxVec; ++j) {
    const int i = threadIdx.x + j * kThreads;
    if (i < nv) v[j] = xr[i];
  }
#pragma unroll
  for (int j = 0; j < kMaxVec; ++j)
    if (threadIdx.x + j * kThreads < nv) s += v[j].x + v[j].y + v[j].z + v[j].w;
  const float mean = block_sum(s, red) / static_cast<float>(D);
  float q = 0.f;
#pragma unroll
  for (int j = 0; j < kMaxVec; ++j) {
    if (threadIdx.x + j * kThreads >= nv) continue;
    const float a = v[j].x - mean, b = v[j].y - mean, c = v[j].z - mean, d = v[j].w - mean;
    q += a * a + b * b + c * c + d * d;
  }
  const float rstd = 1.f / sqrtf(block_sum(q, red) / static_cast<float>(D) + eps);
#pragma unroll
  for (int j = 0; j < kMaxVec; ++j) {
    const int i = threadIdx.x + j * kThreads;
    if (i >= nv) continue;
    const float e[4] = {v[j].x, v[j].y, v[j].z, v[j].w};
#pragma unroll
    for (int k = 0; k < 4; ++k)
      yr[4 * i + k] =
          from_f32<YT>((e[k] - mean) * rstd * load_any(gamma, gdt, 4 * i + k) + load_any(beta, bdt, 4 * i + k));
  }
}

template <typename YT>
void launch(const float* x, int64_t rows, int64_t D, const void* gamma, int gdt, const void* beta, int bdt, float eps,
            YT* y, cudaStream_t stream) {
  const unsigned grid = static_cast<unsigned>(rows);
  const bool regs = D % 4 == 0 && D <= 4 * kThreads * kMaxVec && (reinterpret_cast<uintptr_t>(x) & 15) == 0;
  if (regs)
    layer_norm_reg_kernel<<<grid, kThreads, 0, stream>>>(x, D, gamma, gdt, beta, bdt, eps, y);
  else
    layer_norm_kernel<<<grid, kThreads, 0, stream>>>(x, D, gamma, gdt, beta, bdt, eps, y);
}

}  // namespace

void layer_norm(const float* x, int64_t rows, int64_t D, const void* gamma, int gdt, const void* beta, int bdt,
                float eps, void* y, int ydt, cudaStream_t stream) {
  if (rows == 0) return;
  switch (ydt) {
    case DT_F16: launch(x, rows, D, gamma, gdt, beta, bdt, eps, static_cast<__half*>(y), stream); break;
    case DT_BF16: launch(x, rows, D, gamma, gdt, beta, bdt, eps, static_cast<__nv_bfloat16*>(y), stream); break;
    default: launch(x, rows, D, gamma, gdt, beta, bdt, eps, static_cast<float*>(y), stream);
  }
}

}  // namespace gptj_cuda
