// Prefill attention on tensor cores (WMMA 16x16x16, f16/bf16 inputs, f32 accumulate) for the
// runner: the same online-softmax walk as attention_prefill.cu, but 64 queries per block (16 per
// warp) and 32-key tiles, with both matrix products (Q K^T and P V) on tensor cores.
//   q f32 [B,T,H,D] (scaled and rounded to KT while staged); k, v KT [B,H,Tmax,D]; out KT [B,T,H,D]
// Needs D % 16 == 0, D <= 256, and the shared memory below (~149 KB at D = 256: H100/H200/A100 yes,
// sm_89 no); the launcher returns false otherwise and the caller uses the CUDA-core kernel.
// Shared memory, per block (ld = row stride in elements; every fragment start is 32-byte aligned):
//   Qs [64][D+8] KT, Ks [32][D+8] KT, Vs [32][D+8] KT,
//   per warp: S [16][36] f32 (scores), P [16][40] KT (probabilities), O [16][D+4] f32 (output)
// The accumulator fragment's element->row mapping is opaque, so O lives in shared memory and is
// rescaled there (row by row) when the running max moves.
#include <mma.h>

#include "common.cuh"

namespace gptj_cuda {
namespace {

namespace wmma = nvcuda::wmma;
constexpr int kWarps = 4, kQ = 16 * kWarps, kK = 32, kSld = 36, kPld = 40;

size_t smem_bytes(int64_t D) {
  return 2 * (kQ + 2 * kK) * (D + 8) + kWarps * 16 * (kSld * 4 + kPld * 2 + (D + 4) * 4);
}

template <typename KT>
__global__ void __launch_bounds__(kWarps * 32) attn_prefill_tc_kernel(AttnArgs a) {
  extern __shared__ __align__(128) unsigned char smem[];
  const int64_t D = a.D, ld = D + 8, ldo = D + 4;
  KT* Qs = reinterpret_cast<KT*>(smem);
  KT* Ks = Qs + kQ * ld;
  KT* Vs = Ks + kK * ld;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float* S = reinterpret_cast<float*>(Vs + kK * ld) + warp * 16 * kSld;
  KT* P = reinterpret_cast<KT*>(reinterpret_cast<float*>(Vs + kK * ld) + kWarps * 16 * kSld) + warp * 16 * kPld;
  float* O = reinterpret_cast<float*>(reinterpret_cast<KT*>(reinterpret_cast<float*>(Vs + kK * ld) + kWarps * 16 * kSld) +
                                      kWarps * 16 * kPld) + warp * 16 * ldo;

  const int64_t t0 = static_cast<int64_t>(blockIdx.x) * kQ, h = blockIdx.y, b = blockIdx.z;
  const int64_t L = a.kv_len, first = L - a.T;  // query t sees keys [0, first + t]
  const int64_t nq = min(static_cast<int64_t>(kQ), a.T - t0);
  const int64_t kend = min(L, first + t0 + nq);
  for (int64_t i = threadIdx.x; i < kQ * D; i += blockDim.x) {
    const int64_t r = i / D, d = i % D;
    Qs[r * ld + d] = from_f32<KT>(r < nq ? a.q[((b * a.T + t0 + r) * a.H + h) * D + d] * a.scale : 0.f);
  }
  for (int64_t i = lane; i < 16 * ldo; i += 32) O[i] = 0.f;
  // Lane pair (2r, 2r+1) owns row r of this warp's 16 queries; each lane half of a 32-key tile.
  const int r = lane >> 1, half = lane & 1;
  const int64_t my_limit = first + t0 + warp * 16 + r + 1;            // keys this row sees
  const int64_t warp_limit = first + t0 + warp * 16 + 16;             // keys the warp's last row sees
  float m = -INFINITY, l = 0.f;
  const KT* kb = static_cast<const KT*>(a.k) + (b * a.H + h) * a.Tmax * D;
  const KT* vb = static_cast<const KT*>(a.v) + (b * a.H + h) * a.Tmax * D;

  for (int64_t j0 = 0; j0 < kend; j0 += kK) {
    __syncthreads();  // the previous tile is consumed (and Qs/O are initialized, first time)
    for (int64_t i = threadIdx.x; i < kK * D; i += blockDim.x) {
      const int64_t jj = i / D, d = i % D, j = j0 + jj;
      const bool in = j < kend;
      Ks[jj * ld + d] = in ? kb[j * D + d] : from_f32<KT>(0.f);
      Vs[jj * ld + d] = in ? vb[j * D + d] : from_f32<KT>(0.f);
    }
    __syncthreads();
    if (j0 >= warp_limit) continue;  // every key of the tile is in the future of all 16 rows

    // S [16 x 32] = Q_w [16 x D] . K_tile^T [D x 32]
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> s_acc[2];
    wmma::fill_fragment(s_acc[0], 0.f);
    wmma::fill_fragment(s_acc[1], 0.f);
    for (int64_t kk = 0; kk < D; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, KT, wmma::row_major> qa;
      wmma::load_matrix_sync(qa, Qs + (warp * 16) * ld + kk, static_cast<unsigned>(ld));
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, KT, wmma::col_major> kf;  // (d, j) at Ks[j*ld + d]
        wmma::load_matrix_sync(kf, Ks + (c * 16) * ld + kk, static_cast<unsigned>(ld));
        wmma::mma_sync(s_acc[c], qa, kf, s_acc[c]);
      }
    }
    wmma::store_matrix_sync(S, s_acc[0], kSld, wmma::mem_row_major);
    wmma::store_matrix_sync(S + 16, s_acc[1], kSld, wmma::mem_row_major);
    __syncwarp();

    // Online softmax on row r, keys half*16 .. half*16+15 of the tile.
    float sv[16];
    float tmax = -INFINITY;
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const int jj = half * 16 + i;
      const int64_t j = j0 + jj;
      const bool keep = j < my_limit && j < kend && (!a.mask || a.mask[b * a.mask_stride + j] != 0);
      sv[i] = keep ? S[r * kSld + jj] : -INFINITY;
      tmax = fmaxf(tmax, sv[i]);
    }
    tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, 1));
    const float mnew = fmaxf(m, tmax);
    float psum = 0.f;
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      const float p = sv[i] == -INFINITY ? 0.f : expf(sv[i] - mnew);
      P[r * kPld + half * 16 + i] = from_f32<KT>(p);
      psum += p;
    }
    psum += __shfl_xor_sync(0xffffffffu, psum, 1);
    const float alpha = m == -INFINITY ? 0.f : expf(m - mnew);
    l = l * alpha + psum;
    m = mnew;
    for (int64_t d = half; d < D; d += 2) O[r * ldo + d] *= alpha;
    __syncwarp();

    // O_w [16 x D] += P [16 x 32] . V_tile [32 x D]
    wmma::fragment<wmma::matrix_a, 16, 16, 16, KT, wmma::row_major> pa[2];
    wmma::load_matrix_sync(pa[0], P, kPld);
    wmma::load_matrix_sync(pa[1], P + 16, kPld);
    for (int64_t n = 0; n < D; n += 16) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> o_acc;
      wmma::load_matrix_sync(o_acc, O + n, static_cast<unsigned>(ldo), wmma::mem_row_major);
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, KT, wmma::row_major> vf;  // (j, d) at Vs[j*ld + d]
        wmma::load_matrix_sync(vf, Vs + (c * 16) * ld + n, static_cast<unsigned>(ld));
        wmma::mma_sync(o_acc, pa[c], vf, o_acc);
      }
      wmma::store_matrix_sync(O + n, o_acc, static_cast<unsigned>(ldo), wmma::mem_row_major);
    }
    __syncwarp();
  }

  __syncwarp();
  const int64_t row = warp * 16 + r;
  if (row < nq) {
    KT* out = static_cast<KT*>(a.out) + ((b * a.T + t0 + row) * a.H + h) * D;
    const float inv = l > 0.f ? 1.f / l : 0.f;
    for (int64_t d = half; d < D; d += 2) out[d] = from_f32<KT>(O[r * ldo + d] * inv);
  }
}

template <typename KT>
void launch(const AttnArgs& a, size_t smem, cudaStream_t stream) {
  cudaFuncSetAttribute(attn_prefill_tc_kernel<KT>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  const dim3 grid(ceil_div(a.T, kQ), static_cast<unsigned>(a.H), static_cast<unsigned>(a.B));
  attn_prefill_tc_kernel<KT><<<grid, kWarps * 32, smem, stream>>>(a);
}

}  // namespace

bool attention_prefill_tc(const AttnArgs& a, cudaStream_t stream) {
  static const int max_smem = [] {
    int v = 0;
    cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0);
    return v;
  }();
  const bool types = (a.kvdt == DT_F16 || a.kvdt == DT_BF16) && a.odt == a.kvdt;
  if (!types || a.D % 16 != 0 || a.D > 256) return false;
  const size_t smem = smem_bytes(a.D);
  if (smem > static_cast<size_t>(max_smem)) return false;
  if (a.B * a.T * a.H == 0) return true;
  if (a.kvdt == DT_F16) launch<__half>(a, smem, stream);
  else launch<__nv_bfloat16>(a, smem, stream);
  return true;
}

}  // namespace gptj_cuda
