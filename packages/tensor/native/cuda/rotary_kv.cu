// Rotary position embedding (GPT-J interleaved "rotate every two" or NeoX halves) on the first
// rotary_dim dims of each head, and the runner's fused rotary + KV-cache append.
// Angles: inv_freq[i] = 1 / base^(2i / rotary_dim), angle = position * inv_freq[i], in f32 with
// accurate sinf/cosf (this file must not be built with fast-math intrinsics: angles reach ~2048 rad).
#include "common.cuh"

namespace gptj_cuda {
namespace {

// sin and cos of position * inv_freq[i], inv_freq[i] = 1 / base^(2i / rd).
__device__ __forceinline__ void angle(int64_t i, int64_t rd, int32_t pos, float base, float* s, float* c) {
  // base^e in double rounded to f32 is the correctly rounded powf the CPU (glibc) and torch use; CUDA's
  // own powf may be a few ulp off, which shows at large positions.
  const float e = static_cast<float>(2 * i) / static_cast<float>(rd);
  const float inv_freq = 1.f / static_cast<float>(pow(static_cast<double>(base), static_cast<double>(e)));
  sincosf(static_cast<float>(pos) * inv_freq, s, c);
}

// Element d of one head vector xh [D] after rotation at position pos.
__device__ __forceinline__ float rotate(const float* xh, int64_t d, int64_t rd, bool interleaved, int32_t pos,
                                        float base) {
  if (d >= rd) return xh[d];
  const int64_t half = rd / 2;
  float s, c;
  angle(interleaved ? d / 2 : d % half, rd, pos, base, &s, &c);
  if (interleaved) return (d & 1) ? xh[d] * c + xh[d - 1] * s : xh[d] * c - xh[d + 1] * s;
  return d < half ? xh[d] * c - xh[d + half] * s : xh[d] * c + xh[d - half] * s;
}

// x, y f32 [B*T, H, D]; pos [B*T]
__global__ void rotary_kernel(const float* x, const int32_t* pos, float* y, int64_t BT, int64_t H, int64_t D,
                              int64_t rd, bool interleaved, float base) {
  GRID_STRIDE(i, BT * H * D) {
    const int64_t d = i % D, head = i / D, r = head / H;
    y[i] = rotate(x + head * D, d, rd, interleaved, pos[r], base);
  }
}

// q,k,v f32 rows [B*T, H*D]; kc/vc KT [B,H,Tmax,D]. One thread per (row, head, dim pair 2i, 2i+1):
// GPT-J's interleaved rotary turns exactly such a pair, so q and k share one angle and every load
// and store is a pair (float2 / 2 x 16 bits).
template <typename KT>
__global__ void rotary_kv_append_kernel(const float2* q, const float2* k, const float2* v, const int32_t* pos,
                                        const int32_t* len_before, float2* q_out, KT* kc, KT* vc, int64_t B, int64_t T,
                                        int64_t H, int64_t D, int64_t Tmax, int64_t rd, float base) {
  const int64_t off = *len_before, P = D / 2;
  GRID_STRIDE(j, B * T * H * P) {
    const int64_t i = j % P, head = j / P, h = head % H, r = head / H, t = r % T, b = r / T;
    float2 qv = q[j], kv = k[j];
    if (2 * i < rd) {
      float s, c;
      angle(i, rd, pos[r], base, &s, &c);
      qv = make_float2(qv.x * c - qv.y * s, qv.y * c + qv.x * s);
      kv = make_float2(kv.x * c - kv.y * s, kv.y * c + kv.x * s);
    }
    q_out[j] = qv;
    const int64_t dst = ((b * H + h) * Tmax + off + t) * D + 2 * i;
    kc[dst] = from_f32<KT>(kv.x);
    kc[dst + 1] = from_f32<KT>(kv.y);
    const float2 vv = v[j];
    vc[dst] = from_f32<KT>(vv.x);
    vc[dst + 1] = from_f32<KT>(vv.y);
  }
}

}  // namespace

void rotary(const float* x, const int32_t* pos, float* y, int64_t B, int64_t T, int64_t H, int64_t D,
            int64_t rotary_dim, bool interleaved, float base, cudaStream_t stream) {
  const int64_t n = B * T * H * D;
  if (n == 0) return;
  rotary_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(x, pos, y, B * T, H, D, rotary_dim, interleaved, base);
}

void rotary_kv_append(const float* q, const float* k, const float* v, const int32_t* pos, const int32_t* len_before,
                      float* q_out, void* kc, void* vc, int kvdt, int64_t B, int64_t T, int64_t H, int64_t D,
                      int64_t Tmax, int64_t rotary_dim, float base, cudaStream_t stream) {
  const int64_t n = B * T * H * (D / 2);  // D is even (the runner checks)
  if (n == 0) return;
  const float2 *q2 = reinterpret_cast<const float2*>(q), *k2 = reinterpret_cast<const float2*>(k),
               *v2 = reinterpret_cast<const float2*>(v);
  float2* qo = reinterpret_cast<float2*>(q_out);
  if (kvdt == DT_BF16)
    rotary_kv_append_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(
        q2, k2, v2, pos, len_before, qo, static_cast<__nv_bfloat16*>(kc), static_cast<__nv_bfloat16*>(vc), B, T, H, D,
        Tmax, rotary_dim, base);
  else
    rotary_kv_append_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(
        q2, k2, v2, pos, len_before, qo, static_cast<__half*>(kc), static_cast<__half*>(vc), B, T, H, D, Tmax,
        rotary_dim, base);
}

}  // namespace gptj_cuda
