// Batched f32 GEMM on CUDA cores for the per-op path (matmul, and linear with more rows than the
// GEMV takes when cuBLASLt is absent or the weights are f32/q8). Exact f32 products and sums, so it
// agrees with the CPU backend to ~1e-6.
//
// Tiling: a 256-thread block computes a 64x64 tile of C; K is walked 16 at a time through shared
// memory (As[k][m], Bs[k][n]); thread (tx, ty) owns rows ty + 16i and columns tx + 16j (i, j < 4),
// which keeps the shared-memory reads conflict-free.
#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kTile = 64, kK = 16;

template <int BDT>
__device__ __forceinline__ float load_b(const void* B, int64_t i) {
  if constexpr (BDT == DT_F16)
    return __half2float(static_cast<const __half*>(B)[i]);
  else if constexpr (BDT == DT_BF16)
    return __bfloat162float(static_cast<const __nv_bfloat16*>(B)[i]);
  else if constexpr (BDT == DT_Q8)
    return static_cast<float>(static_cast<const int8_t*>(B)[i]);
  else
    return static_cast<const float*>(B)[i];
}

template <int BDT>
__global__ void __launch_bounds__(256) gemm_simt_kernel(GemmSimtArgs p) {
  __shared__ float As[kK][kTile + 1];
  __shared__ float Bs[kK][kTile + 1];
  const int64_t b = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTile, n0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const float* A = p.A + (p.aoff ? p.aoff[b] : 0);
  const int64_t boff = p.boff ? p.boff[b] : 0;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  // Walk B along whichever index is contiguous in memory so that the tile loads coalesce.
  const bool b_k_contig = p.sbk == 1;
  float acc[4][4] = {};

  for (int64_t k0 = 0; k0 < p.K; k0 += kK) {
    for (int i = threadIdx.x; i < kTile * kK; i += 256) {
      const int mm = i / kK, kk = i % kK;
      const int64_t m = m0 + mm, k = k0 + kk;
      As[kk][mm] = (m < p.M && k < p.K) ? A[m * p.lda + k] : 0.f;
    }
    for (int i = threadIdx.x; i < kTile * kK; i += 256) {
      const int nn = b_k_contig ? i / kK : i % kTile;
      const int kk = b_k_contig ? i % kK : i / kTile;
      const int64_t n = n0 + nn, k = k0 + kk;
      float v = 0.f;
      if (n < p.N && k < p.K) {
        v = load_b<BDT>(p.B, boff + k * p.sbk + n * p.sbn);
        if (BDT == DT_Q8) v *= p.bscales[n];
      }
      Bs[kk][nn] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kK; ++kk) {
      float a[4], bv[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) bv[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

  float* C = p.C + b * p.M * p.ldc;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t m = m0 + ty + 16 * i;
    if (m >= p.M) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (n < p.N) C[m * p.ldc + n] = acc[i][j] + (p.bias ? p.bias[n] : 0.f);
    }
  }
}

}  // namespace

void gemm_simt(const GemmSimtArgs& a, cudaStream_t stream) {
  const dim3 grid(ceil_div(a.N, kTile), ceil_div(a.M, kTile), static_cast<unsigned>(a.batch));
  switch (a.bdt) {
    case DT_F16: gemm_simt_kernel<DT_F16><<<grid, 256, 0, stream>>>(a); break;
    case DT_BF16: gemm_simt_kernel<DT_BF16><<<grid, 256, 0, stream>>>(a); break;
    case DT_Q8: gemm_simt_kernel<DT_Q8><<<grid, 256, 0, stream>>>(a); break;
    default: gemm_simt_kernel<DT_F32><<<grid, 256, 0, stream>>>(a);
  }
}

}  // namespace gptj_cuda
