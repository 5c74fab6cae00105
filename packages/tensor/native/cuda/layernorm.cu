// Fused layer norm: one 256-thread block per row of x f32 [rows, D]; mean and variance in f32 (two
// passes over the row, the second from L1/L2), then normalize, scale and shift in one write.
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

}  // namespace

void layer_norm(const float* x, int64_t rows, int64_t D, const void* gamma, int gdt, const void* beta, int bdt,
                float eps, void* y, int ydt, cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned grid = static_cast<unsigned>(rows);
  switch (ydt) {
    case DT_F16: layer_norm_kernel<<<grid, 256, 0, stream>>>(x, D, gamma, gdt, beta, bdt, eps, static_cast<__half*>(y)); break;
    case DT_BF16: layer_norm_kernel<<<grid, 256, 0, stream>>>(x, D, gamma, gdt, beta, bdt, eps, static_cast<__nv_bfloat16*>(y)); break;
    default: layer_norm_kernel<<<grid, 256, 0, stream>>>(x, D, gamma, gdt, beta, bdt, eps, static_cast<float*>(y));
  }
}

}  // namespace gptj_cuda
