// gptj::linear and gptj::gemm_f32 (kernels.h): pick GEMV or blocked GEMM and the SIMD level.
#include <algorithm>
#include <cstdint>

#include "gemm_kernels.h"
#include "kernels.h"
#include "linear_isa.h"
#include "q4.h"

namespace gptj {
namespace {

// Weight bytes of the smallest GEMV pool chunk: each chunk costs an atomic claim on a line both cores
// write, and restarts the kernel's row streams; 64 KiB is a couple of microseconds of streaming.
constexpr int64_t kGemvChunkMinBytes = 64 << 10;

// Rows of W per pool chunk unit in GEMV: a multiple of 4 (the kernel's row streams) whose bytes are whole
// cache lines, so no two threads ever read or prefetch the same line of W, and at least kGemvChunkMinBytes.
int64_t GemvRowGroup(int64_t row_bytes) {
  int64_t g = 4;
  while ((g * row_bytes) % 64 != 0 && g < 64) g *= 2;
  return g * ((kGemvChunkMinBytes + g * row_bytes - 1) / (g * row_bytes));
}
// A GEMV over fewer weight bytes than this runs on the calling thread: a few microseconds of streaming,
// less than handing chunks to pool threads costs (and on shared cores, than waiting for one that lost
// its core). The bundled mini-code model's 128x128 projections are below it.
constexpr int64_t kGemvParallelMinBytes = 128 << 10;

GemvFn PickGemv() {
  switch (cpu_isa()) {
#if defined(__x86_64__)  // the SIMD kernels are built on x86-64 only (CMakeLists.txt)
    case Isa::Avx512: return avx512::gemv;
    case Isa::Avx2: return avx2::gemv;
#endif
    default: return scalar::gemv;
  }
}

GemvFn PickQ4Gemv() {
  switch (cpu_isa()) {
#if defined(__x86_64__)
    case Isa::Avx512: return cpu_avx512_vnni() ? avx512::q4_gemv_vnni : avx512::q4_gemv;
    case Isa::Avx2: return avx2::q4_gemv;
#endif
    default: return scalar::q4_gemv;
  }
}

// The AVX-512 packing writes 16 columns at a time, which the AVX-512 tile's panels (32 wide) are made of.
PackWFn PickQ4Pack(const GemmKernel& kernel) {
#if defined(__x86_64__)
  if (cpu_isa() == Isa::Avx512 && kernel.nr % 16 == 0) return avx512::q4_pack_w;
#endif
  (void)kernel;
  return scalar::q4_pack_w;
}

const GemmKernel& PickGemm() {
  switch (cpu_isa()) {
#if defined(__x86_64__)  // the SIMD kernels are built on x86-64 only (CMakeLists.txt)
    case Isa::Avx512: return avx512::kGemm;
    case Isa::Avx2: return avx2::kGemm;
#endif
    default: return scalar::kGemm;
  }
}

// Most rows of x that take the GEMV rather than a GEMM. The GEMV streams W from memory once per pool chunk
// and re-reads each chunk (64 KiB or more, in L2) once per 4 rows of x. Measured on the 2-vCPU Zen 5 host
// (tools/bench `pnpm bench`, 6B fc_in [16384, 4096], one linear over M rows against 4-row GEMVs, same run):
// the dot-product GEMM beats the GEMVs from 5 rows for f16 (1.10x at 5, 1.55x at 16) but not for q8
// (0.73x at 5, 0.87x at 16: its GEMV converts int8 with fewer instructions per weight) nor q4 (0.74-0.86x
// at 5 and 8 rows, 0.75-0.98x at 16 in two runs: the VNNI GEMV does four multiply-adds per instruction). The packed
// GEMM converts all of W into panels first and only pays off from about 64 rows (f16 [4096, 4096]: M=8
// 11.1 ms against 2.7 as GEMVs, 32: 15.5 against 11.2, 64: 23.3 against 22.6). A weight under 1 MiB is
// in cache, where either GEMM wins from 5 rows. With AVX2 (GPTJ_CPU_ISA=avx2 on the Sapphire Rapids host, same
// shape, tools/bench/scripts/avx2-dot-gemm.mjs: 2 threads, 5 rounds), the AVX2 dot-product GEMM ran 1.30/1.42/
// 1.45/1.44x the 4-row GEMVs' speed for f16 at 5/8/16/64 rows, 1.09/1.23/1.42/1.42x for q8 (the packed GEMM
// 0.44-0.91x up to 16 rows); with --threads 1, by CPU time, 1.35-1.41x (f16) and 1.11-1.41x (q8) at 5-128 rows.
// q4's dot GEMM ran 0.65-0.76x its GEMVs (gemm_dot_avx2.cpp), so q4 keeps the GEMV up to 32 rows.
// q4 with AVX-512 VNNI keeps the GEMV at any number of rows (prefill too; K <= kSmallKMax excepted, where the
// small-K GEMM's panels serve): the dot GEMM converts each group of codes to f32 again for every 5 rows of x,
// as many instructions as the FMAs they feed, where vpdpbusd multiplies 64 codes a time. 6B fc_in [16384, 4096],
// before this rule, 16-row linears (the GEMV) covering the rows against one linear (the dot GEMM), alternated, medians
// of 7: 2.00x and 2.22x the speed at 32 rows (2 threads; 1 thread), 1.97x and 2.18x at 64, 2.13x and 2.25x at 128;
// the 6B q4 64-token prefill went from 268 to 650 GFLOP/s at 2 threads (tools/bench table, one run each). Prefill
// now rounds x to int8 in groups of 32 as decode already did (ggml's q4_0 x q8_0 does the same).
int64_t GemvMaxRows(WType wt, int64_t K, int64_t weight_bytes) {
  if (weight_bytes < (int64_t(1) << 20) || linear_packed_gemm()) return 4;
#if defined(__x86_64__)
  if (wt == WType::Q4 && PickQ4Gemv() == avx512::q4_gemv_vnni && K > avx512::kSmallKMax) return INT64_MAX;
  if (cpu_isa() == Isa::Avx512) return wt == WType::Q8 || wt == WType::Q4 ? 16 : 4;
  if (cpu_isa() == Isa::Avx2 && wt != WType::Q4) return 4;
#endif
  return 32;
}

// Rows of x the VNNI q4 GEMV rounds at a time: the rounded rows live in a per-thread buffer that is kept (1.3 MB
// at K = 16384), so a long prompt is taken in slices rather than rounded whole.
constexpr int64_t kQ4SliceRows = 64;

// Most rows of x for the AVX2 dot-product GEMM (not q4); more take the packed GEMM, whose L2 blocking wins on
// long prompts. f16 and q8, the same script: the dot GEMM 1.11x and 1.16x the packed GEMM's speed at 64 rows
// (2 threads); with --threads 1, 1.01x and 0.99x at 128 by CPU time, and at 512 rows 0.78x and 0.86x by the wall
// clock (1.02x and 0.99x by CPU time).
constexpr int64_t kAvx2DotMaxRows = 128;

}  // namespace

void linear(const float* x, int64_t M, int64_t K, const void* W, WType wt, const float* scales, const float* bias,
            float* y, int64_t N) {
  if (M <= 0 || N <= 0) return;
  WeightView w{W, wt, scales, K};
  if (wt == WType::Q4)
    w.group_scales = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(W) + q4_scales_offset(N, K));
  const int64_t row_bytes = w_row_bytes(wt, K);
  if (M <= GemvMaxRows(wt, K, N * row_bytes)) {
    const GemvFn gemv = wt == WType::Q4 ? PickQ4Gemv() : PickGemv();
    if (N * row_bytes < kGemvParallelMinBytes) return gemv(x, M, K, w, bias, y, N, 0, N);
    const int64_t group = GemvRowGroup(row_bytes), groups = (N + group - 1) / group;
    auto chunks = [&](auto&& rows) {  // rows(n0, n1) of y per pool chunk
      parallel_for(groups, [&](int64_t g0, int64_t g1) { rows(g0 * group, g1 * group < N ? g1 * group : N); });
    };
#if defined(__x86_64__)
    if (gemv == avx512::q4_gemv_vnni) {  // x rounded once per slice of rows, read by every chunk
      for (int64_t m0 = 0; m0 < M; m0 += kQ4SliceRows) {
        const avx512::Q4RoundedX& xq = avx512::q4_round_x(x + m0 * K, std::min(kQ4SliceRows, M - m0), K);
        chunks([&](int64_t n0, int64_t n1) { avx512::q4_gemv_rounded(xq, w, bias, y + m0 * N, N, n0, n1); });
      }
      return;
    }
#endif
    return chunks([&](int64_t n0, int64_t n1) { gemv(x, M, K, w, bias, y, N, n0, n1); });
  }
#if defined(__x86_64__)
  if (cpu_isa() == Isa::Avx512 && !linear_packed_gemm())
    return K <= avx512::kSmallKMax && M >= avx512::kSmallKMinRows ? avx512::gemm_small_k(x, M, K, w, bias, y, N)
                                                                  : avx512::gemm_dot(x, M, K, w, bias, y, N);
  if (cpu_isa() == Isa::Avx2 && !linear_packed_gemm() && wt != WType::Q4 && M <= kAvx2DotMaxRows)
    return avx2::gemm_dot(x, M, K, w, bias, y, N);
#endif
  GemmKernel kernel = PickGemm();
  if (wt == WType::Q4) kernel.pack_w = PickQ4Pack(kernel);  // prefill is compute-bound: dequantize the panels
  gemm_blocked(kernel, M, N, K, 1.0f, GemmA{x, K, false}, GemmB{w}, bias, y, N);
}

void gemm_f32(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
              const float* B, int64_t ldb, float* C, int64_t ldc) {
  GemmB b{WeightView{B, WType::F32, nullptr, ldb}};
  if (!transB) {
    b.kn = B;
    b.kn_ld = ldb;
  }
  gemm_blocked(PickGemm(), M, N, K, alpha, GemmA{A, lda, transA}, b, nullptr, C, ldc);
}

}  // namespace gptj
