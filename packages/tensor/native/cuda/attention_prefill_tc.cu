// Prefill attention on tensor cores, flash-attention style: mma.sync m16n8k16 (f16/bf16 inputs, f32
// accumulate) with the scores, the probabilities and the output accumulator all kept in registers.
//   q f32 [B,T,H,D] (times scale * log2(e), rounded to KT while staged); k, v KT [B,H,Tmax,D];
//   out KT [B,T,H,D]. D is a template parameter (16, 32, 64, 128 or 256): the accumulator is D/8 x 4
//   registers per thread.
// Block (64-query tile, h, b), 4 warps; warp w owns queries 16w .. 16w+15 of the tile. The block walks
// 32-key tiles of K and V up to the causal limit of its last query, double-buffered with cp.async
// (the next tile loads while this one is used). Per tile, per warp:
//   S [16 x 32]  = Q_w K_tile^T          A = Q rows, B = K rows: both through ldmatrix
//   online softmax of S in registers (base 2: q carries the log2(e) factor)
//   O [16 x D]   = O * alpha + P V_tile  A = P straight from the S registers, B = V via ldmatrix.trans
// Fragments (PTX ISA, "Matrix Fragments for mma.m16n8k16"), g = lane / 4, t = lane % 4, each A/B
// register two 16-bit elements, the lower index in the low half:
//   A 16x16: a0 (row g, k 2t..2t+1)  a1 (row g+8, k 2t..)  a2 (row g, k 2t+8..)  a3 (row g+8, k 2t+8..)
//   B 16x8:  b0 (k 2t..2t+1, col g)  b1 (k 2t+8.., col g)
//   C 16x8:  c0, c1 (row g, cols 2t, 2t+1)  c2, c3 (row g+8, cols 2t, 2t+1)
// so the C fragments of two adjacent 8-key tiles of S, packed to 16 bits, are the A fragment of P.
// Shared memory, rows padded to D+8 elements (an ldmatrix read of 8 rows then hits 32 distinct banks): Qs [64][D+8], then 2 stages of { Ks [32][D+8], Vs [32][D+8] }  (99 KB at D = 256)
#include "common.cuh"

namespace gptj_cuda {
namespace {

constexpr int kWarps = 4, kQ = 16 * kWarps, kK = 32, kThreads = kWarps * 32;

template <int D>
constexpr size_t smem_bytes() {
  return 2 * (kQ + 4 * kK) * (D + 8);
}

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
// 16 bytes global -> shared, asynchronously; `bytes` = 0 writes 16 zero bytes instead.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// Four 8x8 16-bit matrices: lanes 8j..8j+7 give the row addresses of matrix j; register j gets
// (row g, cols 2t, 2t+1) of matrix j.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
// The same, transposed: register j gets (row 2t, col g) and (row 2t+1, col g) of matrix j.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

template <typename KT>
struct Mma;
template <>
struct Mma<__half> {
  // c [16x8] += a [16x16] . b [16x8]
  static __device__ __forceinline__ void run(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  }
};
template <>
struct Mma<__nv_bfloat16> {
  static __device__ __forceinline__ void run(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t*>(&h);
  }
};

template <typename KT, int D>
__global__ void __launch_bounds__(kThreads, 2) attn_prefill_tc_kernel(AttnArgs a) {
  constexpr int LD = D + 8, NT = D / 8, kChunks = D / 8;  // NT output n-tiles; 16-byte chunks per row
  using M = Mma<KT>;
  extern __shared__ __align__(16) unsigned char smem[];
  KT* Qs = reinterpret_cast<KT*>(smem);
  KT* stages = Qs + kQ * LD;  // stage s: Ks at stages + s * 2 * kK * LD, Vs kK * LD after it

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int lm = lane >> 3, lr = lane & 7;  // ldmatrix: the matrix this lane addresses, and its row
  // Query tiles in reverse launch order: the late tiles see the most keys, so they start first.
  const int64_t t0 = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kQ, h = blockIdx.y, b = blockIdx.z;
  const int64_t L = a.kv_len, first = L - a.T;  // query t sees keys [0, first + t]
  const int nq = static_cast<int>(min(static_cast<int64_t>(kQ), a.T - t0));
  const int64_t kend = min(L, first + t0 + nq);  // keys any query of the tile sees
  const int ntiles = static_cast<int>((kend + kK - 1) / kK);
  const KT* kb = static_cast<const KT*>(a.k) + (b * a.H + h) * a.Tmax * D;
  const KT* vb = static_cast<const KT*>(a.v) + (b * a.H + h) * a.Tmax * D;

  // Key tile `tile` into stage tile % 2. Rows at or past kend are zero-filled: their P is 0, but
  // 0 * (whatever the cache holds there) could be NaN.
  auto load_tile = [&](int tile) {
    KT* Ks = stages + (tile & 1) * 2 * kK * LD;
    KT* Vs = Ks + kK * LD;
    for (int i = threadIdx.x; i < kK * kChunks; i += kThreads) {
      const int r = i / kChunks, c = (i % kChunks) * 8;
      const int64_t j = static_cast<int64_t>(tile) * kK + r;
      const bool in = j < kend;
      const int64_t off = in ? j * D + c : 0;
      cp_async16(Ks + r * LD + c, kb + off, in ? 16 : 0);
      cp_async16(Vs + r * LD + c, vb + off, in ? 16 : 0);
    }
    cp_async_commit();
  };
  load_tile(0);

  // Q tile (rows past nq as zeros) while the first key tile is on its way.
  const float qscale = a.scale * 1.4426950408889634f;
  for (int i = threadIdx.x; i < kQ * D / 4; i += kThreads) {
    const int r = i / (D / 4), c = (i % (D / 4)) * 4;
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    if (r < nq) v = *reinterpret_cast<const float4*>(a.q + ((b * a.T + t0 + r) * a.H + h) * D + c);
    *reinterpret_cast<uint32_t*>(Qs + r * LD + c) = M::pack(v.x * qscale, v.y * qscale);
    *reinterpret_cast<uint32_t*>(Qs + r * LD + c + 2) = M::pack(v.z * qscale, v.w * qscale);
  }

  float o[NT][4];
#pragma unroll
  for (int n = 0; n < NT; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};  // rows g and g+8: running max, this lane's sum
  const int64_t last_g = first + t0 + warp * 16 + g;       // last key row g sees; row g+8 sees 8 more
  const int64_t warp_last = first + t0 + warp * 16 + 15;
  const bool warp_has_rows = warp * 16 < nq;
  const int32_t* mask = a.mask ? a.mask + b * a.mask_stride : nullptr;

  for (int tile = 0; tile < ntiles; ++tile) {
    if (tile + 1 < ntiles) {
      load_tile(tile + 1);
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();  // this tile (and Qs, the first time) is visible to every warp
    const KT* Ks = stages + (tile & 1) * 2 * kK * LD;
    const KT* Vs = Ks + kK * LD;
    const int64_t j0 = static_cast<int64_t>(tile) * kK;
    if (warp_has_rows && j0 <= warp_last) {  // else every key of the tile is in the future of all 16 rows
      float s[kK / 8][4];
#pragma unroll
      for (int n = 0; n < kK / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
      // Q matrices: 0 rows 0-7 / k 0-7, 1 rows 8-15 / k 0-7, 2 and 3 the same at k 8-15 (= a0..a3).
      // K matrices: 0 keys 0-7 / k 0-7, 1 keys 0-7 / k 8-15 (b0, b1 of one 8-key tile), 2 and 3 the
      // same for the next 8 keys.
      const KT* qp = Qs + (warp * 16 + lr + 8 * (lm & 1)) * LD + 8 * (lm >> 1);
      const KT* kp = Ks + (lr + 8 * (lm >> 1)) * LD + 8 * (lm & 1);
#pragma unroll 4
      for (int kk = 0; kk < D; kk += 16) {
        uint32_t qa[4];
        ldmatrix_x4(qa, qp + kk);
#pragma unroll
        for (int n = 0; n < kK / 8; n += 2) {
          uint32_t kf[4];
          ldmatrix_x4(kf, kp + n * 8 * LD + kk);
          M::run(s[n], qa, kf[0], kf[1]);
          M::run(s[n + 1], qa, kf[2], kf[3]);
        }
      }
      // Mask (causal, kv end, padding), then the online softmax per row.
      float tmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int n = 0; n < kK / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int64_t j = j0 + n * 8 + 2 * t + (e & 1);
          const bool keep = j <= last_g + (e >> 1) * 8 && j < kend && (!mask || mask[j] != 0);
          s[n][e] = keep ? s[n][e] : -INFINITY;
          tmax[e >> 1] = fmaxf(tmax[e >> 1], s[n][e]);
        }
      float alpha[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 1));
        tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 2));
        const float mnew = fmaxf(m[r], tmax[r]);
        alpha[r] = mnew == -INFINITY ? 0.f : exp2f(m[r] - mnew);  // exp2(-inf) = 0 when m was -inf
        m[r] = mnew;
        l[r] *= alpha[r];
      }
#pragma unroll
      for (int n = 0; n < kK / 8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const float p = s[n][e] == -INFINITY ? 0.f : exp2f(s[n][e] - m[e >> 1]);
          s[n][e] = p;
          l[e >> 1] += p;
        }
#pragma unroll
      for (int n = 0; n < NT; ++n) {
        o[n][0] *= alpha[0];
        o[n][1] *= alpha[0];
        o[n][2] *= alpha[1];
        o[n][3] *= alpha[1];
      }
      // O += P [16 x 32] . V_tile [32 x D], 16 keys per step.
#pragma unroll
      for (int ks = 0; ks < kK / 16; ++ks) {
        const uint32_t pa[4] = {M::pack(s[2 * ks][0], s[2 * ks][1]), M::pack(s[2 * ks][2], s[2 * ks][3]),
                                M::pack(s[2 * ks + 1][0], s[2 * ks + 1][1]),
                                M::pack(s[2 * ks + 1][2], s[2 * ks + 1][3])};
        // matrices: 0 keys 0-7 / cols n..n+7, 1 keys 8-15 / same cols, 2 and 3 the same for cols n+8..n+15
        const KT* vp = Vs + (ks * 16 + lr + 8 * (lm & 1)) * LD + 8 * (lm >> 1);
#pragma unroll
        for (int n = 0; n < NT; n += 2) {
          uint32_t vf[4];
          ldmatrix_x4_trans(vf, vp + n * 8);
          M::run(o[n], pa, vf[0], vf[1]);
          M::run(o[n + 1], pa, vf[2], vf[3]);
        }
      }
    }
    __syncthreads();  // every warp is done with this stage before it is loaded again
  }

  // Row sums are split over the 4 lanes of a row (t); gather them, then write rows g and g+8.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    const int row = warp * 16 + g + 8 * r;
    if (row >= nq) continue;
    const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;  // a row whose keys are all masked gives zeros
    KT* out = static_cast<KT*>(a.out) + ((b * a.T + t0 + row) * a.H + h) * D + 2 * t;
#pragma unroll
    for (int n = 0; n < NT; ++n)
      *reinterpret_cast<uint32_t*>(out + n * 8) = M::pack(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
  }
}

template <typename KT, int D>
bool launch(const AttnArgs& a, int max_smem, cudaStream_t stream) {
  constexpr size_t smem = smem_bytes<D>();
  if (smem > static_cast<size_t>(max_smem)) return false;
  static const cudaError_t attr = cudaFuncSetAttribute(
      attn_prefill_tc_kernel<KT, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (attr != cudaSuccess) return false;
  const dim3 grid(ceil_div(a.T, kQ), static_cast<unsigned>(a.H), static_cast<unsigned>(a.B));
  attn_prefill_tc_kernel<KT, D><<<grid, kThreads, smem, stream>>>(a);
  return true;
}

template <typename KT>
bool launch_d(const AttnArgs& a, int max_smem, cudaStream_t stream) {
  switch (a.D) {
    case 16: return launch<KT, 16>(a, max_smem, stream);
    case 32: return launch<KT, 32>(a, max_smem, stream);
    case 64: return launch<KT, 64>(a, max_smem, stream);
    case 128: return launch<KT, 128>(a, max_smem, stream);
    case 256: return launch<KT, 256>(a, max_smem, stream);
    default: return false;
  }
}

}  // namespace

bool attention_prefill_tc(const AttnArgs& a, cudaStream_t stream) {
  static const int max_smem = [] {
    int v = 0;
    cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0);
    return v;
  }();
  const bool types = (a.kvdt == DT_F16 || a.kvdt == DT_BF16) && a.odt == a.kvdt;
  if (!types) return false;
  if (a.B * a.T * a.H == 0) return true;
  return a.kvdt == DT_F16 ? launch_d<__half>(a, max_smem, stream) : launch_d<__nv_bfloat16>(a, max_smem, stream);
}

}  // namespace gptj_cuda
