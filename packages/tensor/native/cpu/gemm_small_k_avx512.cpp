// AVX-512 GEMM for linear when K is small and x has many rows (gemm_kernels.h gemm_small_k): the bundled
// mini-code model's lm_head at the sequence pool's 32 rows (x [32, 128] f32 against W [50400, 128] f16).
//
// Why not the dot-product GEMM (gemm_dot_avx512.cpp) there: with K = 128 each of its outputs is 8 FMAs
// into a 16-lane accumulator and then a horizontal reduction, so the shuffles, the spills of its 24
// accumulators and the per-tile set-up cost as much as the FMAs. Here no sum is split across lanes: x is
// packed once per call into MR-row panels [k][MR]; W is read as f32 panels [k][NR] of NR rows (made per call:
// converted to f32 rows, then transposed by the packed GEMM's pack_w, 16x16 in registers; or made once,
// gemm_small_k_packed, f16 and bf16 panels widened in the tile); an MR x NR register tile broadcasts x and
// accumulates whole vectors of outputs, stored as full vectors. W is read from memory once per call.
//
// Each y[m, n] is one FMA chain over k = 0 .. K-1 from zero, then + bias (q8's row scale multiplies W as
// it is converted): the same whatever the other rows of x, the tile it lands in, the thread, or whether W's panels
// were made per call or once.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "gemm_kernels.h"
#include "gemv_avx512.h"
#include "q4.h"

namespace gptj::avx512 {
namespace {

// The register tile: kMR rows of x by kNR = 16 kNV columns of W, kMR kNV accumulators.
constexpr int kMR = 12, kNV = 2;
static_assert(kSmallKNR == 16 * kNV, "the packed panels are the tile's width");

// Panels of kSmallKNR W rows per task: 8 KiB each of f16 at K = 128, so a task is a few microseconds and the
// pool's chunks stay balanced over the lm_head's 1,575 panels.
constexpr int64_t kPanelsPerTask = 8;
// How many panels ahead W is asked into L1. Measured (scripts/lmhead-gemm.mjs, M = 32, one process, the
// variants alternated): without prefetch the conversion waited on memory for a third of the time (perf);
// the whole next panel asked for at once before converting this one gained nothing; spread over this
// panel's tiles, 1 panel ahead 1.6x the dot-product GEMM, 2 panels ahead 1.67x.
constexpr int64_t kPrefetchPanels = 2;

// y[i, j] (row stride ldy) = sum_k xp[k][i] * wp[k][j] (+ bias[j]) for i < R, j < n; xp is [K][kMR], wp [K][kSmallKNR]
// of L::T, widened to f32 here (exact): f16 panels converted in the tile took 0.93 of the CPU time of widening
// each panel into an L1 buffer first (mini-code lm_head at 32 rows, 5 alternating runs): the conversions
// overlap the FMAs.
template <int R, typename L>
void Tile(int64_t K, const float* xp, const typename L::T* wp, float* y, int64_t ldy, int n, const float* bias) {
  __m512 acc[R][kNV];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < kNV; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k, xp += kMR, wp += kSmallKNR) {
    __m512 b[kNV];
#pragma GCC unroll 4
    for (int j = 0; j < kNV; ++j) b[j] = L::load(wp + 16 * j);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m512 a = _mm512_set1_ps(xp[i]);
#pragma GCC unroll 4
      for (int j = 0; j < kNV; ++j) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
    }
  }
  __mmask16 m[kNV];
  __m512 add[kNV];
#pragma GCC unroll 4
  for (int j = 0; j < kNV; ++j) {
    m[j] = TailMask(std::max(0, n - 16 * j));
    add[j] = bias ? _mm512_maskz_loadu_ps(m[j], bias + 16 * j) : _mm512_setzero_ps();
  }
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < kNV; ++j) _mm512_mask_storeu_ps(y + i * ldy + 16 * j, m[j], _mm512_add_ps(acc[i][j], add[j]));
}

template <typename L>
using SmallTileFn = void (*)(int64_t, const float*, const typename L::T*, float*, int64_t, int, const float*);
template <typename L, size_t... I>
constexpr std::array<SmallTileFn<L>, sizeof...(I)> Tiles(std::index_sequence<I...>) {
  return {Tile<static_cast<int>(I) + 1, L>...};
}
// kTiles<L>[r - 1] computes r rows: the last m-panel of x runs only the rows it has.
template <typename L>
constexpr std::array<SmallTileFn<L>, kMR> kTiles = Tiles<L>(std::make_index_sequence<kMR>());

// W rows [n0, n0 + n) as f32 rows of K in dst (q8 times its row scale), read in address order: the pack's
// 16x16 blocks read 16 rows at a time, 32 bytes of each, a pattern that left each block waiting on memory
// when read from W itself (71% of the time at M = 8, perf).
template <typename L>
void RowsToF32(const WeightView& w, int64_t n0, int n, int64_t K, float* dst) {
  for (int r = 0; r < n; ++r) {
    const typename L::T* src = static_cast<const typename L::T*>(w.data) + (n0 + r) * w.ld;
    const __m512 scale = _mm512_set1_ps(w.type == WType::Q8 ? w.scales[n0 + r] : 1.0f);
    for (int64_t k = 0; k < K; k += 16) {
      const __mmask16 m = TailMask(K - k);
      _mm512_mask_storeu_ps(dst + r * K + k, m, _mm512_mul_ps(L::load(src + k, m), scale));
    }
  }
}

// The [k][kSmallKNR] f32 panel of W rows [n0, n0 + n), zero past n; `rows` is scratch of n * K floats.
void PackPanel(const WeightView& w, int64_t n0, int n, int64_t K, float* rows, float* dst) {
  switch (w.type) {
    case WType::F32: RowsToF32<LF32>(w, n0, n, K, rows); break;
    case WType::F16: RowsToF32<LF16>(w, n0, n, K, rows); break;
    case WType::BF16: RowsToF32<LBF16>(w, n0, n, K, rows); break;
    case WType::Q8: RowsToF32<LQ8>(w, n0, n, K, rows); break;
    case WType::Q4: return q4_pack_w(w, n0, n, 0, K, dst, kSmallKNR);  // K % 32 == 0; unpacks groups in place
  }
  kGemm.pack_w(WeightView{rows, WType::F32, nullptr, K}, 0, n, 0, K, dst, kSmallKNR);
}

// Row m's scan over columns [c0, c1) of y: its highest value (NaN skipped), the lowest column holding it (-1 when
// none is above -Infinity) and the first column holding NaN or +Infinity (-1 when none).
struct RowScan {
  float max;
  int32_t arg, bad;
};

RowScan ScanColumns(const float* row, int64_t c0, int64_t c1) {
  const __m512 neg_inf = _mm512_set1_ps(-INFINITY), pos_inf = _mm512_set1_ps(INFINITY);
  // four independent max chains (one vmaxps chain waited on its latency: 6% of a 32-row step, perf); vmaxps returns
  // its second operand when either is NaN, so NaN is skipped
  __m512 mx[4] = {neg_inf, neg_inf, neg_inf, neg_inf};
  __mmask16 bad = 0;  // lanes that saw NaN or +Infinity
  int64_t c = c0;
  for (; c + 64 <= c1; c += 64)
    for (int j = 0; j < 4; ++j) {
      const __m512 v = _mm512_loadu_ps(row + c + 16 * j);
      mx[j] = _mm512_max_ps(v, mx[j]);
      bad |= _mm512_cmp_ps_mask(v, pos_inf, _CMP_NLT_UQ);
    }
  for (; c < c1; c += 16) {
    const __mmask16 m = TailMask(c1 - c);
    const __m512 v = _mm512_mask_loadu_ps(neg_inf, m, row + c);
    mx[0] = _mm512_max_ps(v, mx[0]);
    bad |= _mm512_mask_cmp_ps_mask(m, v, pos_inf, _CMP_NLT_UQ);
  }
  RowScan r{_mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(mx[0], mx[1]), _mm512_max_ps(mx[2], mx[3]))), -1, -1};
  // the first column matching `pred` (a mask of the 16 from c), which is in [c0, c1)
  auto first = [&](auto pred) {
    for (c = c0;; c += 16) {
      const __mmask16 m = TailMask(c1 - c);
      if (const __mmask16 hit = pred(m, _mm512_maskz_loadu_ps(m, row + c)))
        return static_cast<int32_t>(c + __builtin_ctz(hit));
    }
  };
  if (bad) r.bad = first([&](__mmask16 m, __m512 v) { return _mm512_mask_cmp_ps_mask(m, v, pos_inf, _CMP_NLT_UQ); });
  if (r.max == -INFINITY) return r;
  const __m512 vm = _mm512_set1_ps(r.max);
  r.arg = first([&](__mmask16 m, __m512 v) { return _mm512_mask_cmp_ps_mask(m, v, vm, _CMP_EQ_OQ); });
  return r;
}

// ScanColumns over columns [c0, c1) of a row whose column c0 is at `at`.
RowScan ScanFrom(const float* at, int64_t c0, int64_t c1) {
  RowScan r = ScanColumns(at, 0, c1 - c0);
  if (r.arg >= 0) r.arg += static_cast<int32_t>(c0);
  if (r.bad >= 0) r.bad += static_cast<int32_t>(c0);
  return r;
}

// Columns per task.
constexpr int64_t kTaskCols = kPanelsPerTask * kSmallKNR;

// y[M, N] over W's panels: panel(p, scratch) returns panel p as [K][kSmallKNR] of L::T, made in scratch or not;
// `bytes` holds what it reads of panel p at p * panel_bytes (of `total`), asked into L1 kPrefetchPanels panels
// ahead, a share before each tile. With `best`, each task scans the columns it computed while they are in cache
// (gemm_kernels.h gemm_small_k_packed), and the tasks' scans are merged in column order; a row best asks not to
// store goes to a task-sized spare buffer instead of y (scanned there), and is computed again into y only when
// its scan cannot make the pick alone.
template <typename L, typename PanelFn>
void Run(const float* x, int64_t M, int64_t K, int64_t N, const float* bias, float* y, const char* bytes,
         int64_t panel_bytes, int64_t total, int32_t* best, const int32_t* skip, PanelFn panel) {
  // x as kMR-row panels [k][kMR], rows past M zero (their outputs are never computed)
  const int64_t m_panels = (M + kMR - 1) / kMR;
  std::vector<float> xp(static_cast<size_t>(m_panels * kMR * K), 0.0f);
  for (int64_t m = 0; m < M; ++m) {
    float* dst = xp.data() + (m / kMR) * kMR * K + m % kMR;
    for (int64_t k = 0; k < K; ++k) dst[k * kMR] = x[m * K + k];
  }
  // skip (gemm_kernels.h): [start, end) per row not to store, start -1 for a row to store
  const auto stored = [&](int64_t m) { return !skip || skip[2 * m] < 0; };
  bool any_skipped = false;
  for (int64_t m = 0; m < M; ++m) any_skipped |= !stored(m);
  const int64_t n_panels = (N + kSmallKNR - 1) / kSmallKNR, tasks = (n_panels + kPanelsPerTask - 1) / kPanelsPerTask;
  std::vector<RowScan> scans(best ? static_cast<size_t>(tasks * M) : 0);  // [task][m]
  parallel_for(tasks, [&](int64_t t0, int64_t t1) {
    alignas(64) float scratch[2 * kSmallKMax * kSmallKNR];
    // [M][kTaskCols]: this task's columns of the rows not stored (32 KiB at 32 rows: stays in L2, unlike y's 6.4 MB)
    std::vector<float> spare(any_skipped ? static_cast<size_t>(M * kTaskCols) : 0);
    for (int64_t p = t0 * kPanelsPerTask; p < std::min(n_panels, t1 * kPanelsPerTask); ++p) {
      const int64_t n0 = p * kSmallKNR;
      const int n = static_cast<int>(std::min<int64_t>(kSmallKNR, N - n0));
      const typename L::T* wp = panel(p, scratch);
      const int64_t ahead0 = std::min(total, (p + kPrefetchPanels) * panel_bytes),
                    ahead1 = std::min(total, (p + kPrefetchPanels + 1) * panel_bytes);
      const int64_t share = ((ahead1 - ahead0) / m_panels + 63) / 64 * 64;
      const int64_t c0 = p / kPanelsPerTask * kTaskCols;  // the task's first column
      for (int64_t b = 0; b < m_panels; ++b) {
        for (int64_t q = ahead0 + b * share; q < std::min(ahead1, ahead0 + (b + 1) * share); q += 64)
          _mm_prefetch(bytes + q, _MM_HINT_T0);
        // one tile per run of rows going to the same place (all of the block but where stored and spare rows mix)
        const int64_t m1 = std::min(M, (b + 1) * kMR);
        for (int64_t m0 = b * kMR, e; m0 < m1; m0 = e) {
          for (e = m0 + 1; e < m1 && stored(e) == stored(m0);) ++e;
          const bool to_y = stored(m0);
          kTiles<L>[e - m0 - 1](K, xp.data() + b * kMR * K + (m0 - b * kMR), wp,
                                to_y ? y + m0 * N + n0 : spare.data() + m0 * kTaskCols + (n0 - c0),
                                to_y ? N : kTaskCols, n, bias ? bias + n0 : nullptr);
        }
      }
      if (best && ((p + 1) % kPanelsPerTask == 0 || p + 1 == n_panels)) {  // the task's last panel
        const int64_t t = p / kPanelsPerTask, c1 = std::min(N, n0 + kSmallKNR);
        for (int64_t m = 0; m < M; ++m)
          scans[t * M + m] = ScanFrom(stored(m) ? y + m * N + c0 : spare.data() + m * kTaskCols, c0, c1);
      }
    }
  });
  for (int64_t m = 0; best && m < M; ++m) {
    RowScan g{-INFINITY, 0, -1};
    for (int64_t t = 0; t < tasks; ++t) {
      const RowScan& r = scans[t * M + m];
      if (r.max > g.max) g = RowScan{r.max, r.arg, g.bad};  // strictly higher: ties keep the lower column
      if (g.bad < 0) g.bad = r.bad;
    }
    best[2 * m] = g.arg;
    best[2 * m + 1] = g.bad;
    if (stored(m)) continue;
    if (g.bad < 0 && g.max > -INFINITY && (g.arg < skip[2 * m] || g.arg >= skip[2 * m + 1])) {
      y[m * N + g.arg] = g.max;  // the pick's own logit, which greedy decoding checks is above -Infinity
      continue;
    }
    // a row not stored whose pick needs it after all (NaN or +Infinity, nothing above -Infinity, or the winner in its
    // range): computed again into y, one FMA chain per output as before, so the same bits
    const float* xm = xp.data() + (m / kMR) * kMR * K + m % kMR;
    parallel_for(n_panels, [&](int64_t p0, int64_t p1) {
      alignas(64) float scratch[2 * kSmallKMax * kSmallKNR];
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t n0 = p * kSmallKNR;
        kTiles<L>[0](K, xm, panel(p, scratch), y + m * N + n0, N,
                     static_cast<int>(std::min<int64_t>(kSmallKNR, N - n0)), bias ? bias + n0 : nullptr);
      }
    });
  }
}

}  // namespace

void gemm_small_k(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t N) {
  // Prefetch reads the rows' stored bytes (q4: its codes; its group scales, a sixteenth of that, are not prefetched).
  const int64_t row_bytes = w_row_bytes(w.type, K);
  Run<LF32>(x, M, K, N, bias, y, static_cast<const char*>(w.data), kSmallKNR * row_bytes, N * row_bytes, nullptr,
            nullptr, [&](int64_t p, float* scratch) {
              const int64_t n0 = p * kSmallKNR;
              float* wp = scratch + kSmallKMax * kSmallKNR;
              PackPanel(w, n0, static_cast<int>(std::min<int64_t>(kSmallKNR, N - n0)), K, scratch, wp);
              return static_cast<const float*>(wp);
            });
}

WType small_k_panel_type(WType stored) { return stored == WType::F16 || stored == WType::BF16 ? stored : WType::F32; }

size_t small_k_panels_bytes(WType stored, int64_t N, int64_t K) {
  const int64_t n_panels = (N + kSmallKNR - 1) / kSmallKNR;
  return static_cast<size_t>(n_panels * K * kSmallKNR) * (small_k_panel_type(stored) == WType::F32 ? 4 : 2);
}

void small_k_pack(const WeightView& w, int64_t N, int64_t K, void* dst) {
  const WType type = small_k_panel_type(w.type);
  const int64_t n_panels = (N + kSmallKNR - 1) / kSmallKNR, panel = K * kSmallKNR;
  parallel_for(n_panels, [&](int64_t p0, int64_t p1) {
    alignas(64) float scratch[2 * kSmallKMax * kSmallKNR];
    float* wp = scratch + kSmallKMax * kSmallKNR;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * kSmallKNR;
      PackPanel(w, n0, static_cast<int>(std::min<int64_t>(kSmallKNR, N - n0)), K, scratch,
                type == WType::F32 ? static_cast<float*>(dst) + p * panel : wp);
      if (type == WType::F32) continue;
      // f16 / bf16 panels hold W's own values, so narrowing them back is exact (bf16: the low half is zero)
      uint16_t* out = static_cast<uint16_t*>(dst) + p * panel;
      for (int64_t i = 0; i < panel; i += 16) {
        const __m512 v = _mm512_load_ps(wp + i);
        const __m256i h = type == WType::F16 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                                             : _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(v), 16));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), h);
      }
    }
  });
}

void gemm_small_k_packed(const float* x, int64_t M, const SmallKPanels& w, const float* bias, float* y, int32_t* best,
                         const int32_t* skip) {
  const int64_t panel = w.K * kSmallKNR, panel_bytes = panel * (w.type == WType::F32 ? 4 : 2);
  const int64_t total = (w.N + kSmallKNR - 1) / kSmallKNR * panel_bytes;
  const char* bytes = static_cast<const char*>(w.data);
  auto run = [&](auto l) {
    using L = decltype(l);
    Run<L>(x, M, w.K, w.N, bias, y, bytes, panel_bytes, total, best, best ? skip : nullptr,
           [&](int64_t p, float*) { return static_cast<const typename L::T*>(w.data) + p * panel; });
  };
  switch (w.type) {
    case WType::F16: return run(LF16{});
    case WType::BF16: return run(LBF16{});
    default: return run(LF32{});
  }
}

}  // namespace gptj::avx512
