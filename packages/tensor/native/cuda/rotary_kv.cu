// Rotary position embedding (GPT-J interleaved "rotate every two" or NeoX halves) on the first
// rotary_dim dims of each head, and the runner's fused rotary + KV-cache append.
// Angles: inv_freq[i] = 1 / base^(2i / rotary_dim), angle = position * inv_freq[i], in f32 with
// accurate sinf/cosf (this file must not be built with fast-math intrinsics: angles reach ~2048 rad).
#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kThreads = 256;
unsigned grid_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > (1 << 30) ? (1 << 30) : b));
}
#define GRID_STRIDE(i, n) \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// Element d of one head vector xh [D] after rotation at position pos.
__device__ __forceinline__ float rotate(const float* xh, int64_t d, int64_t rd, bool interleaved, int32_t pos, float base) {
  if (d >= rd) return xh[d];
  const int64_t half = rd / 2;
  const int64_t i = interleaved ? d / 2 : d % half;
  // base^e in double rounded to f32 is the correctly rounded powf the CPU (glibc) and torch use; CUDA's
  // own powf may be a few ulp off, which shows at large positions.
  const float e = static_cast<float>(2 * i) / static_cast<float>(rd);
  const float inv_freq = 1.f / static_cast<float>(pow(static_cast<double>(base), static_cast<double>(e)));
  float s, c;
  sincosf(static_cast<float>(pos) * inv_freq, &s, &c);
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

// q,k,v f32 rows [B*T, H*D]; kc/vc KT [B,H,Tmax,D]
template <typename KT>
__global__ void rotary_kv_append_kernel(const float* q, const float* k, const float* v, const int32_t* pos,
                                        const int32_t* len_before, float* q_out, KT* kc, KT* vc, int64_t B,
                                        int64_t T, int64_t H, int64_t D, int64_t Tmax, int64_t rd, float base) {
  const int64_t off = *len_before;
  GRID_STRIDE(i, B * T * H * D) {
    const int64_t d = i % D, head = i / D, h = head % H, r = head / H, t = r % T, b = r / T;
    const int32_t p = pos[r];
    q_out[i] = rotate(q + head * D, d, rd, true, p, base);
    const int64_t c = ((b * H + h) * Tmax + off + t) * D + d;
    kc[c] = from_f32<KT>(rotate(k + head * D, d, rd, true, p, base));
    vc[c] = from_f32<KT>(v[i]);
  }
}

}  // namespace

void rotary(const float* x, const int32_t* pos, float* y, int64_t B, int64_t T, int64_t H, int64_t D,
            int64_t rotary_dim, bool interleaved, float base, cudaStream_t stream) {
  const int64_t n = B * T * H * D;
  if (n == 0) return;
  rotary_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, pos, y, B * T, H, D, rotary_dim, interleaved, base);
}

void rotary_kv_append(const float* q, const float* k, const float* v, const int32_t* pos, const int32_t* len_before,
                      float* q_out, void* kc, void* vc, int kvdt, int64_t B, int64_t T, int64_t H, int64_t D,
                      int64_t Tmax, int64_t rotary_dim, float base, cudaStream_t stream) {
  const int64_t n = B * T * H * D;
  if (n == 0) return;
  if (kvdt == DT_BF16)
    rotary_kv_append_kernel<<<grid_for(n), kThreads, 0, stream>>>(q, k, v, pos, len_before, q_out,
        static_cast<__nv_bfloat16*>(kc), static_cast<__nv_bfloat16*>(vc), B, T, H, D, Tmax, rotary_dim, base);
  else
    rotary_kv_append_kernel<<<grid_for(n), kThreads, 0, stream>>>(q, k, v, pos, len_before, q_out,
        static_cast<__half*>(kc), static_cast<__half*>(vc), B, T, H, D, Tmax, rotary_dim, base);
}

}  // namespace gptj_cuda
