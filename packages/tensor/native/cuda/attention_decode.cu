// Decode attention, flash-decoding style: the keys of each (batch b, query t, head h) are split into
// chunks; block (chunk, h, b*T+t) computes the chunk's scores, its local softmax and the
// unnormalized output, and a second kernel merges the chunks with their max/sum. The grid covers
// Tmax (chunks past the causal limit exit at once), so a captured graph stays valid as kv_len grows.
// The chunk length is picked from Tmax and the number of (b, t, h) so that about two blocks per SM
// exist even at batch 1 (16 to 256 keys per chunk).
//   q f32 [B,T,H,D] (pre-scaled here by `scale`); k, v KT [B,H,Tmax,D]; out KT-or-f32 [B,T,H,D]
//   work f32 [B*T, H, nchunks, D + 2]: o[D], chunk max, chunk sum
// 16-bit K/V with an even D are read as pairs (4-byte loads, 128 bytes per warp access).
#include <algorithm>

#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kThreads = 128;

__device__ __forceinline__ int64_t kv_length(const AttnArgs& a) { return a.kv_len_dev ? *a.kv_len_dev : a.kv_len; }

// Keys per chunk: enough chunks for ~2 blocks per SM, 16..256 keys, a multiple of 16.
int64_t chunk_len(int64_t BTH, int64_t Tmax) {
  const int64_t want = std::max<int64_t>(1, (2 * sm_count() + BTH - 1) / BTH);
  int64_t c = (Tmax + want - 1) / want;
  c = (c + 15) / 16 * 16;
  return std::min<int64_t>(256, std::max<int64_t>(16, c));
}

// Elements 2i, 2i+1 of a 16-bit row as floats.
__device__ __forceinline__ float2 pair_f32(const __half* p, int64_t i) {
  return __half22float2(reinterpret_cast<const __half2*>(p)[i]);
}
__device__ __forceinline__ float2 pair_f32(const __nv_bfloat16* p, int64_t i) {
  return __bfloat1622float2(reinterpret_cast<const __nv_bfloat162*>(p)[i]);
}

template <typename KT>
__global__ void __launch_bounds__(kThreads) attn_chunk_kernel(AttnArgs a, int nchunks, int kChunk) {
  extern __shared__ float qs[];  // [D], then p [kChunk]
  float* p = qs + a.D;
  __shared__ float red[32];
  const int chunk = blockIdx.x, h = blockIdx.y;
  const int64_t bt = blockIdx.z, b = bt / a.T, t = bt % a.T;
  const int64_t limit = kv_length(a) - a.T + t + 1;  // visible keys [0, limit)
  const int64_t j0 = static_cast<int64_t>(chunk) * kChunk;
  if (j0 >= limit) return;
  const int n = static_cast<int>(min(static_cast<int64_t>(kChunk), limit - j0));
  const int64_t D = a.D;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  for (int64_t d = threadIdx.x; d < D; d += kThreads) qs[d] = a.q[(bt * a.H + h) * D + d] * a.scale;
  __syncthreads();

  const KT* kb = static_cast<const KT*>(a.k) + (b * a.H + h) * a.Tmax * D;
  const KT* vb = static_cast<const KT*>(a.v) + (b * a.H + h) * a.Tmax * D;
  for (int jj = warp; jj < n; jj += kThreads / 32) {
    const int64_t j = j0 + jj;
    const KT* kr = kb + j * D;
    float s = 0.f;
    if constexpr (sizeof(KT) == 2) {
      if ((D & 1) == 0) {
        for (int64_t i = lane; i < D / 2; i += 32) {
          const float2 kv = pair_f32(kr, i);
          s = fmaf(qs[2 * i], kv.x, fmaf(qs[2 * i + 1], kv.y, s));
        }
      } else {
        for (int64_t d = lane; d < D; d += 32) s = fmaf(qs[d], to_f32(kr[d]), s);
      }
    } else {
      for (int64_t d = lane; d < D; d += 32) s = fmaf(qs[d], to_f32(kr[d]), s);
    }
    s = warp_sum(s);
    const bool keep = !a.mask || a.mask[b * a.mask_stride + j] != 0;
    if (lane == 0) p[jj] = keep ? s : -INFINITY;
  }
  __syncthreads();

  float mx = -INFINITY;
  for (int jj = threadIdx.x; jj < n; jj += kThreads) mx = fmaxf(mx, p[jj]);
  mx = block_max(mx, red);
  float l = 0.f;
  for (int jj = threadIdx.x; jj < n; jj += kThreads) {
    const float e = p[jj] == -INFINITY ? 0.f : expf(p[jj] - mx);
    p[jj] = e;
    l += e;
  }
  l = block_sum(l, red);  // also makes every p[] write visible

  float* w = a.work + ((bt * a.H + h) * nchunks + chunk) * (D + 2);
  bool done = false;
  if constexpr (sizeof(KT) == 2) {
    if ((D & 1) == 0) {
      for (int64_t i = threadIdx.x; i < D / 2; i += kThreads) {
        float ox = 0.f, oy = 0.f;
        for (int jj = 0; jj < n; ++jj) {
          const float2 vv = pair_f32(vb + (j0 + jj) * D, i);
          ox = fmaf(p[jj], vv.x, ox);
          oy = fmaf(p[jj], vv.y, oy);
        }
        w[2 * i] = ox;
        w[2 * i + 1] = oy;
      }
      done = true;
    }
  }
  if (!done) {
    for (int64_t d = threadIdx.x; d < D; d += kThreads) {
      float o = 0.f;
      for (int jj = 0; jj < n; ++jj) o = fmaf(p[jj], to_f32(vb[(j0 + jj) * D + d]), o);
      w[d] = o;
    }
  }
  if (threadIdx.x == 0) {
    w[D] = mx;
    w[D + 1] = l;
  }
}

template <typename OT>
__global__ void __launch_bounds__(kThreads) attn_merge_kernel(AttnArgs a, int nchunks, int kChunk) {
  const int h = blockIdx.x;
  const int64_t bt = blockIdx.y, t = bt % a.T, D = a.D;
  const int64_t limit = kv_length(a) - a.T + t + 1;
  const int active = static_cast<int>(min(static_cast<int64_t>(nchunks), (limit + kChunk - 1) / kChunk));
  const float* w = a.work + (bt * a.H + h) * nchunks * (D + 2);
  float M = -INFINITY;
  for (int c = 0; c < active; ++c) M = fmaxf(M, w[c * (D + 2) + D]);
  float denom = 0.f;
  for (int c = 0; c < active; ++c) {
    const float m = w[c * (D + 2) + D];
    if (m != -INFINITY) denom += w[c * (D + 2) + D + 1] * expf(m - M);
  }
  OT* out = static_cast<OT*>(a.out) + (bt * a.H + h) * D;
  for (int64_t d = threadIdx.x; d < D; d += kThreads) {
    float o = 0.f;
    for (int c = 0; c < active; ++c) {
      const float m = w[c * (D + 2) + D];
      if (m != -INFINITY) o += w[c * (D + 2) + d] * expf(m - M);
    }
    out[d] = from_f32<OT>(denom > 0.f ? o / denom : 0.f);
  }
}

template <typename KT>
void launch(const AttnArgs& a, cudaStream_t stream) {
  const int chunk = static_cast<int>(chunk_len(a.B * a.T * a.H, a.Tmax));
  const int nchunks = static_cast<int>((a.Tmax + chunk - 1) / chunk);
  const dim3 g1(nchunks, static_cast<unsigned>(a.H), static_cast<unsigned>(a.B * a.T));
  attn_chunk_kernel<KT><<<g1, kThreads, (a.D + chunk) * sizeof(float), stream>>>(a, nchunks, chunk);
  const dim3 g2(static_cast<unsigned>(a.H), static_cast<unsigned>(a.B * a.T));
  if (a.odt == DT_F16)
    attn_merge_kernel<__half><<<g2, kThreads, 0, stream>>>(a, nchunks, chunk);
  else if (a.odt == DT_BF16)
    attn_merge_kernel<__nv_bfloat16><<<g2, kThreads, 0, stream>>>(a, nchunks, chunk);
  else
    attn_merge_kernel<float><<<g2, kThreads, 0, stream>>>(a, nchunks, chunk);
}

}  // namespace

int64_t attention_decode_work_floats(int64_t B, int64_t T, int64_t H, int64_t D, int64_t Tmax) {
  const int64_t chunk = chunk_len(B * T * H, Tmax);
  return B * T * H * ((Tmax + chunk - 1) / chunk) * (D + 2);
}

void attention_decode(const AttnArgs& a, cudaStream_t stream) {
  if (a.B * a.T * a.H == 0) return;
  if (a.kvdt == DT_F16)
    launch<__half>(a, stream);
  else if (a.kvdt == DT_BF16)
    launch<__nv_bfloat16>(a, stream);
  else
    launch<float>(a, stream);
}

}  // namespace gptj_cuda
