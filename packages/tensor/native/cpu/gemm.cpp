// Cache-blocked GEMM driver (BLIS loop order) shared by every SIMD level, plus the portable tile.
//
//   pack all of op(A) into MR-tall panels Ap, once per call (threaded)
//   for each task (an N block of nc columns x an M block, spread over the pool):
//     for pc in K step KC:        pack W[n-block, pc:pc+KC]^T into NR-wide panels Bp  (f32, converted)
//       for ic in M step MC:      (MC x KC of Ap stays in L2)
//         for jr, ir:             MR x NR register tile, C += Ap-panel^T . Bp-panel
// A Bp panel (KC x NR floats) stays in L1 while the Ap block (MC x KC) streams from L2; each weight
// element is converted once per task, never into an f32 copy of the whole matrix.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gemm_kernels.h"
#include "gemv_scalar.h"

namespace gptj {
namespace {

constexpr int64_t kKC = 256;                       // k slice: a Bp panel of 32 columns is 32 KiB
constexpr int64_t kMC = 192;                       // rows of A per packed block (rounded to MR): 192 KiB at KC=256
constexpr int64_t kNC = 1024;                      // columns per task at most
constexpr size_t kKeepPackedA = size_t(32) << 20;  // packed-A bytes kept cached between calls

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

// Per-thread packing buffer, 64-byte aligned, grown on demand and kept for the next call.
class Scratch {
 public:
  ~Scratch() { std::free(p_); }
  float* Get(int64_t floats) {
    const size_t bytes = static_cast<size_t>(RoundUp(floats * 4, 64));
    if (bytes > cap_) {
      std::free(p_);
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p_) {
        cap_ = 0;
        throw std::bad_alloc();
      }
      cap_ = bytes;
    }
    return p_;
  }
  // Frees the buffer when it grew past `keep_bytes`, so one long prompt does not pin its size.
  void Trim(size_t keep_bytes) {
    if (cap_ > keep_bytes) {
      std::free(p_);
      p_ = nullptr;
      cap_ = 0;
    }
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};
thread_local Scratch t_apack, t_bpack;

// Ap panel p holds rows [m0 + p*mr, +mr) of op(A)[:, k0:k0+kc] as dst[p*mr*kc + k*mr + i], zero beyond mc.
void PackA(const GemmA& a, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* dst, int mr) {
  for (int64_t i0 = 0; i0 < mc; i0 += mr, dst += mr * kc) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, mc - i0));
    if (rows < mr) std::memset(dst, 0, sizeof(float) * mr * kc);
    if (!a.trans) {
      for (int i = 0; i < rows; ++i) {
        const float* src = a.p + (m0 + i0 + i) * a.ld + k0;
        for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = a.p + (k0 + k) * a.ld + m0 + i0;
        for (int i = 0; i < rows; ++i) dst[k * mr + i] = src[i];
      }
    }
  }
}

// B stored [K, N] (gemm_f32 without transB): rows are already k-major, copy nr columns per k.
void PackBKN(const float* b, int64_t ld, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  for (int64_t k = 0; k < kc; ++k) {
    const float* src = b + (k0 + k) * ld + n0;
    float* d = dst + k * nr;
    for (int j = 0; j < n; ++j) d[j] = src[j];
    for (int j = n; j < nr; ++j) d[j] = 0.0f;
  }
}

// op(A) packed once per call, shared read-only by every task: k slice pc (KC wide, the last one
// narrower) holds all MR-row panels of that slice, panel p at apack[pc * m_pad + p * mr * kc].
struct PackedA {
  const float* p;
  int64_t m_pad;  // M rounded up to MR
  const float* Panel(int64_t pc, int64_t m0, int64_t kc) const { return p + pc * m_pad + m0 * kc; }
};

// One task: C[m0:m0+m_len, n0:n0+n_len] (m0 a multiple of MR).
void Block(const GemmKernel& kern, int64_t m0, int64_t m_len, int64_t n0, int64_t n_len, int64_t K, float alpha,
           const PackedA& ap, const GemmB& b, const float* bias, float* c, int64_t ldc) {
  const int mr = kern.mr, nr = kern.nr;
  const int64_t mc_max = RoundUp(kMC, mr);
  float* bp = t_bpack.Get(RoundUp(n_len, nr) * kKC);
  for (int64_t pc = 0; pc < K; pc += kKC) {
    const int64_t kc = std::min(kKC, K - pc);
    for (int64_t jr = 0; jr < n_len; jr += nr) {
      const int n = static_cast<int>(std::min<int64_t>(nr, n_len - jr));
      if (b.kn)
        PackBKN(b.kn, b.kn_ld, n0 + jr, n, pc, kc, bp + jr * kc, nr);
      else
        kern.pack_w(b.w, n0 + jr, n, pc, kc, bp + jr * kc, nr);
    }
    // MC rows of packed A at a time stay in L2 while every Bp panel passes by.
    for (int64_t ic = 0; ic < m_len; ic += mc_max) {
      const int64_t mc = std::min(mc_max, m_len - ic);
      const float* a_block = ap.Panel(pc, m0 + ic, kc);
      for (int64_t jr = 0; jr < n_len; jr += nr) {
        const int n = static_cast<int>(std::min<int64_t>(nr, n_len - jr));
        const float* tile_bias = (pc == 0 && bias) ? bias + n0 + jr : nullptr;
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const int m = static_cast<int>(std::min<int64_t>(mr, mc - ir));
          kern.tile(kc, a_block + ir * kc, bp + jr * kc, c + (m0 + ic + ir) * ldc + n0 + jr, ldc, m, n, alpha,
                    tile_bias, pc > 0);
        }
      }
    }
  }
}

}  // namespace

void gemm_blocked(const GemmKernel& kern, int64_t M, int64_t N, int64_t K, float alpha, const GemmA& a, const GemmB& b,
                  const float* bias, float* c, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // empty sum: C = bias (or 0)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) c[m * ldc + n] = bias ? bias[n] : 0.0f;
    return;
  }
  const int64_t threads = num_threads();
  // Split N first (each task then converts its own weight columns once); split M too only when
  // there are fewer N blocks than threads.
  const int64_t nc = std::min(kNC, RoundUp(CeilDiv(N, threads), kern.nr));
  const int64_t nb_n = CeilDiv(N, nc);
  int64_t nb_m = nb_n < threads ? std::min(CeilDiv(M, kern.mr), CeilDiv(threads, nb_n)) : 1;
  const int64_t mb = RoundUp(CeilDiv(M, nb_m), kern.mr);
  nb_m = CeilDiv(M, mb);

  const int64_t panels = CeilDiv(M, kern.mr), slices = CeilDiv(K, kKC);
  float* apack = t_apack.Get(panels * kern.mr * K);  // the calling thread's buffer
  const PackedA ap{apack, panels * kern.mr};
  parallel_for(slices * panels, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t pc = (j / panels) * kKC, m0 = (j % panels) * kern.mr, kc = std::min(kKC, K - pc);
      PackA(a, m0, std::min<int64_t>(kern.mr, M - m0), pc, kc, apack + pc * ap.m_pad + m0 * kc, kern.mr);
    }
  });
  parallel_for(nb_n * nb_m, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = (t / nb_m) * nc, m0 = (t % nb_m) * mb;
      Block(kern, m0, std::min(mb, M - m0), n0, std::min(nc, N - n0), K, alpha, ap, b, bias, c, ldc);
    }
  });
  t_apack.Trim(kKeepPackedA);
}

namespace scalar {
namespace {

constexpr int kMR = 4, kNR = 8;

void Tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int m, int n, float alpha,
          const float* bias, bool accumulate) {
  float acc[kMR][kNR] = {};
  for (int64_t k = 0; k < kc; ++k, ap += kMR, bp += kNR)
    for (int i = 0; i < kMR; ++i)
      for (int j = 0; j < kNR; ++j) acc[i][j] += ap[i] * bp[j];
  for (int i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (int j = 0; j < n; ++j) row[j] = alpha * acc[i][j] + (accumulate ? row[j] : bias ? bias[j] : 0.0f);
  }
}

template <typename L>
void PackWTyped(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  const auto* base = static_cast<const typename L::T*>(w.data);
  for (int j = 0; j < n; ++j) {
    const typename L::T* row = base + (n0 + j) * w.ld + k0;
    const float scale = w.type == WType::Q8 ? w.scales[n0 + j] : 1.0f;
    for (int64_t k = 0; k < kc; ++k) dst[k * nr + j] = L::get(row, k) * scale;
  }
  for (int j = n; j < nr; ++j)
    for (int64_t k = 0; k < kc; ++k) dst[k * nr + j] = 0.0f;
}

}  // namespace

void pack_w(const WeightView& w, int64_t n0, int n, int64_t k0, int64_t kc, float* dst, int nr) {
  switch (w.type) {
    case WType::F32: return PackWTyped<WF32>(w, n0, n, k0, kc, dst, nr);
    case WType::F16: return PackWTyped<WF16>(w, n0, n, k0, kc, dst, nr);
    case WType::BF16: return PackWTyped<WBF16>(w, n0, n, k0, kc, dst, nr);
    case WType::Q8: return PackWTyped<WQ8>(w, n0, n, k0, kc, dst, nr);
    case WType::Q4: break;  // linear sends q4 to q4_gemv / q4_pack_w (q4.h)
  }
}

const GemmKernel kGemm = {kMR, kNR, Tile, pack_w};

}  // namespace scalar
}  // namespace gptj
