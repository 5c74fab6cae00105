// Prefill attention, tiled with an online softmax (no T x T matrix anywhere).
// Block (query tile, h, b): 16 queries x head dim D (<= 256) in shared memory; it walks 32-key tiles
// of K and V up to the causal limit of its last query. 128 threads: thread tid owns query row
// r = tid / 8 and output dims (tid % 8) + 8i, so the 8 threads of a row sit in one warp and share
// the row's running max/sum through shuffles.
//   q f32 [B,T,H,D]; k, v KT [B,H,Tmax,D]; out OT [B,T,H,D]
// Shared memory (floats): Qs [16][D+1], Ks [32][D+1], Vs [32][D], S [16][33]  (84 KB at D = 256)
#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kQ = 16, kK = 32, kThreads = 128, kMaxDPerThread = 32;

template <typename KT, typename OT>
__global__ void __launch_bounds__(kThreads) attn_prefill_kernel(AttnArgs a) {
  extern __shared__ float sm[];
  const int64_t D = a.D, ldq = D + 1;
  float* Qs = sm;
  float* Ks = Qs + kQ * ldq;
  float* Vs = Ks + kK * ldq;
  float* S = Vs + kK * D;  // [kQ][kK + 1]
  const int64_t t0 = static_cast<int64_t>(blockIdx.x) * kQ, h = blockIdx.y, b = blockIdx.z;
  const int tid = threadIdx.x, r = tid / 8, c8 = tid % 8;
  const int64_t L = a.kv_len, first = L - a.T;  // query t sees keys [0, first + t]
  const int64_t nq = min(static_cast<int64_t>(kQ), a.T - t0);

  for (int64_t i = tid; i < kQ * D; i += kThreads) {
    const int64_t qr = i / D, d = i % D;
    Qs[qr * ldq + d] = qr < nq ? a.q[((b * a.T + t0 + qr) * a.H + h) * D + d] * a.scale : 0.f;
  }
  float o[kMaxDPerThread];
#pragma unroll
  for (int i = 0; i < kMaxDPerThread; ++i) o[i] = 0.f;
  float m = -INFINITY, l = 0.f;
  const int64_t my_limit = first + t0 + r + 1;   // keys visible to this thread's query
  const int64_t kend = min(L, first + t0 + nq);  // keys any query of the tile sees
  const KT* kb = static_cast<const KT*>(a.k) + (b * a.H + h) * a.Tmax * D;
  const KT* vb = static_cast<const KT*>(a.v) + (b * a.H + h) * a.Tmax * D;

  for (int64_t j0 = 0; j0 < kend; j0 += kK) {
    __syncthreads();  // previous tile fully consumed (and Qs written, first time)
    for (int64_t i = tid; i < kK * D; i += kThreads) {
      const int64_t jj = i / D, d = i % D, j = j0 + jj;
      const bool in = j < kend;
      Ks[jj * ldq + d] = in ? to_f32(kb[j * D + d]) : 0.f;
      Vs[jj * D + d] = in ? to_f32(vb[j * D + d]) : 0.f;
    }
    __syncthreads();
    // Scores for (row r, keys c8 + 8i).
    float s[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int jj = c8 + 8 * i;
      const int64_t j = j0 + jj;
      float acc = 0.f;
      for (int64_t d = 0; d < D; ++d) acc = fmaf(Qs[r * ldq + d], Ks[jj * ldq + d], acc);
      const bool keep = j < my_limit && j < kend && (!a.mask || a.mask[b * a.mask_stride + j] != 0);
      s[i] = keep ? acc : -INFINITY;
    }
    float tmax = fmaxf(fmaxf(s[0], s[1]), fmaxf(s[2], s[3]));
#pragma unroll
    for (int off = 1; off < 8; off <<= 1) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, off));
    const float mnew = fmaxf(m, tmax);
    float psum = 0.f;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float pv = s[i] == -INFINITY ? 0.f : expf(s[i] - mnew);
      S[r * (kK + 1) + c8 + 8 * i] = pv;
      psum += pv;
    }
#pragma unroll
    for (int off = 1; off < 8; off <<= 1) psum += __shfl_xor_sync(0xffffffffu, psum, off);
    const float alpha = m == -INFINITY ? 0.f : expf(m - mnew);
    l = l * alpha + psum;
    m = mnew;
    __syncwarp();  // S row r is written and read by the same 8 lanes
#pragma unroll
    for (int i = 0; i < kMaxDPerThread; ++i) {
      const int64_t d = c8 + 8 * i;
      if (d < D) {
        float acc = o[i] * alpha;
        for (int jj = 0; jj < kK; ++jj) acc = fmaf(S[r * (kK + 1) + jj], Vs[jj * D + d], acc);
        o[i] = acc;
      }
    }
  }
  if (r < nq) {
    OT* out = static_cast<OT*>(a.out) + ((b * a.T + t0 + r) * a.H + h) * D;
#pragma unroll
    for (int i = 0; i < kMaxDPerThread; ++i) {
      const int64_t d = c8 + 8 * i;
      if (d < D) out[d] = from_f32<OT>(l > 0.f ? o[i] / l : 0.f);
    }
  }
}

template <typename KT, typename OT>
void launch(const AttnArgs& a, cudaStream_t stream) {
  const size_t smem = sizeof(float) * (kQ * (a.D + 1) + kK * (a.D + 1) + kK * a.D + kQ * (kK + 1));
  cudaFuncSetAttribute(attn_prefill_kernel<KT, OT>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                       static_cast<int>(smem));
  const dim3 grid(ceil_div(a.T, kQ), static_cast<unsigned>(a.H), static_cast<unsigned>(a.B));
  attn_prefill_kernel<KT, OT><<<grid, kThreads, smem, stream>>>(a);
}

}  // namespace

void attention_prefill(const AttnArgs& a, cudaStream_t stream) {
  if (a.B * a.T * a.H == 0) return;
  if (a.kvdt == DT_F16 && a.odt == DT_F16)
    launch<__half, __half>(a, stream);
  else if (a.kvdt == DT_BF16 && a.odt == DT_BF16)
    launch<__nv_bfloat16, __nv_bfloat16>(a, stream);
  else
    launch<float, float>(a, stream);
}

}  // namespace gptj_cuda
