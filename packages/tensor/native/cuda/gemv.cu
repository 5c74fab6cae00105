// GEMV for decode: y[M,N] = x[M,K] . W[N,K]^T (+ bias), M <= 8 per launch, bandwidth-bound on W.
//
// Layout: one warp per output row (8 warps = 8 rows per 256-thread block), grid.y = split-K parts.
// One launch may stack up to 4 matrices on the same x, their output rows one after another (a decode
// step's q, k, v and fc_in), or add a second term x2 . W2^T into the same output rows (o-proj and
// fc_out, which both add into the residual): fewer, longer kernels, so fewer ramps per step.
// Fast path (K a multiple of the 16-byte vector width, 16-byte aligned rows): lane l of the warp
// reads the row's 16-byte vectors l, l+32, ...; 4 loads are issued before any is used so each lane
// keeps 64 bytes in flight. x rows are small and re-read from L1/L2. Plain element loop otherwise.
#include <algorithm>
#include <type_traits>

#include "common.cuh"

namespace gptj_cuda {

static int g_sm_count = 132;
void set_sm_count(int n) { g_sm_count = n > 0 ? n : 132; }
int sm_count() { return g_sm_count; }

namespace {

constexpr int kWarps = 8;    // rows per block
constexpr int kUnroll = 4;   // 16-byte loads in flight per lane
constexpr int kMaxRows = 8;  // x rows per launch

// Storage element of each weight dtype code, and how many fit in 16 bytes.
template <int WDT>
struct W;
template <>
struct W<DT_F32> {
  using T = float;
  static constexpr int kVec = 4;
};
template <>
struct W<DT_F16> {
  using T = __half;
  static constexpr int kVec = 8;
};
template <>
struct W<DT_BF16> {
  using T = __nv_bfloat16;
  static constexpr int kVec = 8;
};
template <>
struct W<DT_Q8> {
  using T = int8_t;
  static constexpr int kVec = 16;
};

__device__ __forceinline__ float elem_f32(float v) { return v; }
__device__ __forceinline__ float elem_f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float elem_f32(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float elem_f32(int8_t v) { return static_cast<float>(v); }

// 16 bytes of W -> kVec floats.
template <int WDT>
__device__ __forceinline__ void unpack(const uint4& u, float* f) {
  if constexpr (WDT == DT_F32) {
    f[0] = __uint_as_float(u.x);
    f[1] = __uint_as_float(u.y);
    f[2] = __uint_as_float(u.z);
    f[3] = __uint_as_float(u.w);
  } else if constexpr (WDT == DT_F16) {
    const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      float2 t = __half22float2(h[i]);
      f[2 * i] = t.x;
      f[2 * i + 1] = t.y;
    }
  } else if constexpr (WDT == DT_BF16) {
    const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      f[2 * i] = __uint_as_float(w[i] << 16);
      f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    }
  } else {
    const uint32_t w[4] = {u.x, u.y, u.z, u.w};
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) f[4 * i + j] = static_cast<float>(static_cast<int8_t>((w[i] >> (8 * j)) & 0xff));
  }
}

// N consecutive x elements starting at p (16-byte aligned, N * sizeof(XT) a multiple of 16) -> floats.
template <typename XT, int N>
__device__ __forceinline__ void load_x(const XT* p, float* f) {
  constexpr int kPer = 16 / sizeof(XT);
  const uint4* v = reinterpret_cast<const uint4*>(p);
#pragma unroll
  for (int c = 0; c < N / kPer; ++c) {
    uint4 u = __ldg(v + c);
    const XT* e = reinterpret_cast<const XT*>(&u);
#pragma unroll
    for (int i = 0; i < kPer; ++i) f[c * kPer + i] = elem_f32(e[i]);
  }
}

struct Params {
  const void* x;
  int64_t ldx, K;
  int nmat;
  GemvMat mat[kMaxMats];
  int64_t row0[kMaxMats + 1];  // output rows [row0[i], row0[i+1]) are mat i's
  const void* x2;
  int64_t ldx2, K2;
  const void* w2;
  const float* scales2;  // second term, or x2 == nullptr
  int M;
  int splits;
  float* work;  // work [splits, M, N] when splits > 1 (one matrix, no second term)
  bool vec;
};

template <typename XT>
__device__ __forceinline__ void epilogue(const GemvMat& mt, int m, int64_t n, float acc) {
  if (mt.bias) acc += mt.bias[n];
  const int64_t i = m * mt.N + n;
  switch (mt.epilogue) {
    case EPI_ADD_F32: static_cast<float*>(mt.y)[i] += acc; break;
    case EPI_GELU_X: static_cast<XT*>(mt.y)[i] = from_f32<XT>(gelu_tanh(acc)); break;
    default: static_cast<float*>(mt.y)[i] = acc;
  }
}

// acc[m] += this lane's share of W row wrow [K] . x row m, over split part `part` of `splits`.
template <typename XT, int WDT, int MMAX>
__device__ __forceinline__ void dot_row(const typename W<WDT>::T* wrow, const XT* x, int64_t ldx, int64_t K, int M,
                                        bool vec, int lane, int part, int splits, float (&acc)[MMAX]) {
  constexpr int kVec = W<WDT>::kVec;
  if (vec) {
    const int64_t nvec = K / kVec;
    const int64_t per = (nvec + splits - 1) / splits;
    const int64_t vbeg = part * per, vend = min(nvec, vbeg + per);
    const uint4* wv = reinterpret_cast<const uint4*>(wrow);
    for (int64_t v0 = vbeg + lane; v0 < vend; v0 += 32 * kUnroll) {
      uint4 buf[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t v = v0 + 32 * u;
        if (v < vend) buf[u] = __ldg(wv + v);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t v = v0 + 32 * u;
        if (v >= vend) break;
        float wf[kVec];
        unpack<WDT>(buf[u], wf);
#pragma unroll
        for (int m = 0; m < MMAX; ++m) {
          if (m >= M) break;
          float xf[kVec];
          load_x<XT, kVec>(x + m * ldx + v * kVec, xf);
#pragma unroll
          for (int e = 0; e < kVec; ++e) acc[m] = fmaf(wf[e], xf[e], acc[m]);
        }
      }
    }
  } else {
    const int64_t per = (K + splits - 1) / splits;
    const int64_t kbeg = part * per, kend = min(K, kbeg + per);
    for (int64_t k = kbeg + lane; k < kend; k += 32) {
      const float wf = elem_f32(wrow[k]);
#pragma unroll
      for (int m = 0; m < MMAX; ++m)
        if (m < M) acc[m] = fmaf(wf, elem_f32(x[m * ldx + k]), acc[m]);
    }
  }
}

// The launch's matrix i (a switch: indexing the parameter block with a run-time i would copy it to
// local memory).
__device__ __forceinline__ const GemvMat& mat_at(const Params& p, int i) {
  switch (i) {
    case 0: return p.mat[0];
    case 1: return p.mat[1];
    case 2: return p.mat[2];
    default: return p.mat[3];
  }
}

template <typename XT, int WDT, int MMAX>
__global__ void __launch_bounds__(kWarps * 32) gemv_kernel(Params p) {
  using WT = typename W<WDT>::T;
  const int lane = threadIdx.x & 31;
  const int64_t gn = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (gn >= p.row0[p.nmat]) return;
  int mi = 0;
  while (mi + 1 < p.nmat && gn >= p.row0[mi + 1]) ++mi;
  const GemvMat& mt = mat_at(p, mi);
  const int64_t n = gn - p.row0[mi];
  float acc[MMAX], acc2[MMAX];
#pragma unroll
  for (int m = 0; m < MMAX; ++m) acc[m] = acc2[m] = 0.f;
  dot_row<XT, WDT, MMAX>(static_cast<const WT*>(mt.w) + n * p.K, static_cast<const XT*>(p.x), p.ldx, p.K, p.M, p.vec,
                         lane, blockIdx.y, p.splits, acc);
  if (p.x2)
    dot_row<XT, WDT, MMAX>(static_cast<const WT*>(p.w2) + n * p.K2, static_cast<const XT*>(p.x2), p.ldx2, p.K2, p.M,
                           p.vec, lane, 0, 1, acc2);
  const float s = mt.scales ? mt.scales[n] : 1.f, s2 = p.scales2 ? p.scales2[n] : 1.f;
#pragma unroll
  for (int m = 0; m < MMAX; ++m) {
    if (m >= p.M) break;
    float v = warp_sum(acc[m]) * s;
    if (p.x2) v += warp_sum(acc2[m]) * s2;
    if (lane == 0) {
      if (p.splits == 1)
        epilogue<XT>(mt, m, n, v);
      else
        p.work[(static_cast<int64_t>(blockIdx.y) * p.M + m) * mt.N + n] = v;
    }
  }
}

// Sums the split-K partials of work [splits, M, N] and applies the epilogue.
template <typename XT>
__global__ void splitk_reduce(Params p) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= p.M * p.mat[0].N) return;
  const int64_t N = p.mat[0].N;  // split-K only with one matrix and no second term
  float acc = 0.f;
  for (int s = 0; s < p.splits; ++s) acc += p.work[s * p.M * N + i];
  epilogue<XT>(p.mat[0], static_cast<int>(i / N), i % N, acc);
}

template <typename XT, int WDT>
void launch(Params p, cudaStream_t stream) {
  const dim3 grid(ceil_div(p.row0[p.nmat], kWarps), p.splits);
  const dim3 block(kWarps * 32);
  // f32 x is the per-op path: one instantiation (runtime M <= 8) keeps the build short; the runner's
  // 16-bit x gets kernels sized to the row count.
  if constexpr (std::is_same_v<XT, float>) {
    gemv_kernel<XT, WDT, 8><<<grid, block, 0, stream>>>(p);
  } else {
    if (p.M <= 1)
      gemv_kernel<XT, WDT, 1><<<grid, block, 0, stream>>>(p);
    else if (p.M <= 2)
      gemv_kernel<XT, WDT, 2><<<grid, block, 0, stream>>>(p);
    else if (p.M <= 4)
      gemv_kernel<XT, WDT, 4><<<grid, block, 0, stream>>>(p);
    else
      gemv_kernel<XT, WDT, 8><<<grid, block, 0, stream>>>(p);
  }
  if (p.splits > 1) splitk_reduce<XT><<<ceil_div(p.M * p.mat[0].N, 256), 256, 0, stream>>>(p);
}

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace

bool gemv(const GemvArgs& a, cudaStream_t stream) {
  const int vec_elems = a.wdt == DT_F32 ? 4 : a.wdt == DT_Q8 ? 16 : 8;
  const int xbytes = a.xdt == DT_F32 ? 4 : 2;
  const bool supported = (a.xdt == DT_F32) || (a.xdt == DT_F16 && (a.wdt == DT_F16 || a.wdt == DT_Q8)) ||
                         (a.xdt == DT_BF16 && (a.wdt == DT_BF16 || a.wdt == DT_Q8));
  if (!supported || a.nmat < 1 || a.nmat > kMaxMats || (a.x2 && a.nmat != 1)) return false;
  int64_t rows = 0;
  for (int i = 0; i < a.nmat; ++i) rows += a.mat[i].N;
  const int64_t rows_blocks = ceil_div(rows, kWarps);
  const bool stride_ok = (a.ldx * xbytes) % 16 == 0 && (!a.x2 || (a.ldx2 * xbytes) % 16 == 0);
  for (int64_t m0 = 0; m0 < a.M; m0 += kMaxRows) {
    Params p{};
    p.M = static_cast<int>(std::min<int64_t>(kMaxRows, a.M - m0));
    p.x = static_cast<const char*>(a.x) + m0 * a.ldx * xbytes;
    p.ldx = a.ldx;
    p.K = a.K;
    p.nmat = a.nmat;
    bool vec = a.K % vec_elems == 0 && aligned16(p.x) && stride_ok;
    for (int i = 0; i < a.nmat; ++i) {
      const GemvMat& g = a.mat[i];
      const int ybytes = g.epilogue == EPI_GELU_X ? xbytes : 4;
      p.mat[i] = g;
      p.mat[i].y = static_cast<char*>(g.y) + m0 * g.N * ybytes;  // this launch's first row of x
      p.row0[i + 1] = p.row0[i] + g.N;
      vec = vec && aligned16(g.w);
    }
    if (a.x2) {
      p.x2 = static_cast<const char*>(a.x2) + m0 * a.ldx2 * xbytes;
      p.ldx2 = a.ldx2;
      p.K2 = a.K2;
      p.w2 = a.w2;
      p.scales2 = a.scales2;
      vec = vec && a.K2 % vec_elems == 0 && aligned16(p.x2) && aligned16(a.w2);
    }
    p.vec = vec;
    // Split K when the rows alone cannot fill the GPU (about 2 blocks per SM).
    int splits = 1;
    if (a.nmat == 1 && !a.x2 && rows_blocks < 2 * g_sm_count) {
      const int64_t units = p.vec ? a.K / vec_elems : a.K;
      splits = static_cast<int>(std::min<int64_t>(
          {(2 * g_sm_count + rows_blocks - 1) / rows_blocks, 16, std::max<int64_t>(1, units / (32 * kUnroll))}));
      if (static_cast<int64_t>(splits) * p.M * rows > a.work_floats) splits = 1;
    }
    p.splits = splits;
    p.work = a.work;
    switch (a.xdt * 8 + a.wdt) {
      case DT_F32 * 8 + DT_F32: launch<float, DT_F32>(p, stream); break;
      case DT_F32 * 8 + DT_F16: launch<float, DT_F16>(p, stream); break;
      case DT_F32 * 8 + DT_BF16: launch<float, DT_BF16>(p, stream); break;
      case DT_F32 * 8 + DT_Q8: launch<float, DT_Q8>(p, stream); break;
      case DT_F16 * 8 + DT_F16: launch<__half, DT_F16>(p, stream); break;
      case DT_F16 * 8 + DT_Q8: launch<__half, DT_Q8>(p, stream); break;
      case DT_BF16 * 8 + DT_BF16: launch<__nv_bfloat16, DT_BF16>(p, stream); break;
      case DT_BF16 * 8 + DT_Q8: launch<__nv_bfloat16, DT_Q8>(p, stream); break;
      default: return false;
    }
  }
  return true;
}

}  // namespace gptj_cuda
