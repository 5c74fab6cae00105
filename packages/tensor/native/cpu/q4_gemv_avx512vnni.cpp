// q4 GEMV with AVX512-VNNI integer dot products (compiled with -mavx512f/bw/vl/dq/vnni -mf16c; called only
// after cpu_avx512_vnni(), linear_isa.h).
//
// The f32 kernel (q4_gemv_impl.inc) spends 9 instructions on every 32 weights (widen, table lookup,
// multiply-adds, scale) and ran at 44 G weights/s per core in cache on the Zen 5 host, about the rate the
// memory delivers q4 data to a core: no headroom for the floor. Here, as in ggml's q4_0 x q8_0 dot product,
// each row of x is first rounded to int8 in groups of 32 (dx = max|x| / 127, round half to even), and one
// vpdpbusd multiplies 64 unsigned codes by 64 int8 x values and sums them in fours. Per block of 16 groups
// (512 weights) and W row, the 16 f16 scales dw are converted once (times dx with one row of x), and the code
// offset (code - 8) is one multiply-add of dw by cx = dx * -8 * sum(xq) of each group, made when x is rounded;
// then per quad of groups (a, b, c, d; 128 weights, 64 bytes of codes):
//   s (16 int32 lanes) = dpbusd(dpbusd(0, codes lo, xq lo), codes hi, xq hi)
//      lanes 4i..4i+3 sum group i of the quad
//   y += float(s) * (dw * dx) per lane, dw * dx of the block's 16 groups permuted to the quad's lanes.
// About 8 instructions per 128 weights. y differs from the f32 dequantize-then-matmul by the rounding of
// x, at most sum_k |w_k| * dx_g / 2 (q4.test.ts checks against that bound).
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <vector>

#include "gemv_avx512.h"
#include "q4.h"

namespace gptj::avx512 {
namespace {

constexpr int kParts = 4;  // row streams per chunk: the rows of the parts share each x load
constexpr int64_t kPrefetchBytes = 2048;
// The f16 scales of each part are a second, thinner stream (1/8 of the codes' bytes) that the hardware
// prefetcher did not follow: prefetching them as far ahead as the codes (2048 bytes of codes: 128 scales) took
// a [65536, 4096] GEMV from 0.75-0.83 to 0.94-0.99 of a plain AVX-512 read and a [16384, 16384] one from
// 0.71-0.76 to 0.78-0.81 (issue 16's C++ harness, thread CPU time, one thread, medians of 7 alternations).
constexpr int64_t kScalePrefetch = kPrefetchBytes / 16;

// One row of x rounded for the quads of a K-long row (the last quad padded with zero x when K / 32 is not
// a multiple of 4): per quad 128 bytes xq in the order the codes unpack (a..d 0-15, then a..d 16-31); per
// group dx and the code offset's share cx = dx * -8 * sum(xq), each padded with zeros to a multiple of 16 groups.
// Rows of a Q4RoundedX (q4.h), each q4_x_blocks(K) blocks long.
struct XRow {
  const int8_t* xq;
  const float* dx;
  const float* cx;
};

int64_t Quads(int64_t K) { return (K / kQ4Group + 3) / 4; }
int64_t DxBlocks(int64_t K) { return (K / kQ4Group + 15) / 16; }

XRow RowOf(const Q4RoundedX& x, int64_t m) {
  const int64_t quads = Quads(x.K);
  const Q4Block64* base = x.blocks.data() + q4_x_blocks(x.K) * m;
  return {reinterpret_cast<const int8_t*>(base), reinterpret_cast<const float*>(base + 2 * quads),
          reinterpret_cast<const float*>(base + 2 * quads + DxBlocks(x.K))};
}

// Rounds one row x[K] into its blocks, laid out as XRow.
void QuantizeRow(const float* x, int64_t K, Q4Block64* base) {
  const int64_t groups = K / kQ4Group, quads = Quads(K), dx_blocks = DxBlocks(K);
  auto* xq = reinterpret_cast<int8_t*>(base);
  auto* dx = reinterpret_cast<float*>(base + 2 * quads);
  auto* cx = reinterpret_cast<float*>(base + 2 * quads + dx_blocks);
  for (int64_t g = groups; g < 16 * dx_blocks; ++g) dx[g] = cx[g] = 0.0f;  // padding groups
  for (int64_t q = 0; q < quads; ++q) {
    for (int h = 0; h < 4; ++h) {
      const int64_t g = 4 * q + h;
      int8_t* lo = xq + q * 128 + h * 16;  // a..d 0-15 at 0..63, a..d 16-31 at 64..127
      if (g >= groups) {                   // padding of the last quad: x 0, so codes beyond the row end never count
        _mm_storeu_si128(reinterpret_cast<__m128i*>(lo), _mm_setzero_si128());
        _mm_storeu_si128(reinterpret_cast<__m128i*>(lo + 64), _mm_setzero_si128());
        continue;
      }
      const float* xg = x + g * kQ4Group;
      const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);
      const float d = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1))) / 127.0f;
      const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
      // cvtps rounds half to even (the default MXCSR mode); |x * inv| <= 127, so no saturation
      const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, inv)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, inv));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(lo), _mm512_cvtsepi32_epi8(q0));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(lo + 64), _mm512_cvtsepi32_epi8(q1));
      dx[g] = d;
      cx[g] = d * static_cast<float>(-8 * _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1)));
    }
  }
}

// The f16 scales of groups [g, g + 16) as f32 (fewer at a row's end: the rest 0).
inline __m512 Scales16(const uint16_t* d, int64_t g, int64_t groups) {
  const __mmask16 m = groups - g >= 16 ? 0xffff : static_cast<__mmask16>((1u << (groups - g)) - 1);
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, d + g));
}

// Lanes of a 16-group block for quad j (0-3) of it: group 4j + i in lanes 4i..4i+3.
alignas(64) const int32_t kQuadLanes[4][16] = {{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3},
                                               {4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7},
                                               {8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11},
                                               {12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15}};

// One block of 16 groups (4 quads) starting at group g of RB rows c/d against MB rows of x; kTail: the row's
// last block, groups - g < 16 groups (its last quad may hold 1-3), whose bytes past the row's end are masked off
// (the next row's are not ours to count, and past the last row there may be none).
// Per block rather than per quad (the scales, dx and the offset as cx), the loop ran 1.17-1.24x the rate of one
// that built each quad's byte mask and permuted an int32 offset vector into place every quad (in L2, [256, 4096]
// and [64, 16384], one thread, by CPU time; 0.68 -> 0.77 of a plain read at two threads in L3, [4096, 4096]).
// Out of cache it reads as fast as that loop, within the noise (28 distinct fc_in/fc_out matrices, 1.06 GB,
// medians of 11-21 rounds against a plain read of the same bytes: one thread 0.87-0.93 against 0.89-0.94, two
// threads 0.87-0.91 against 0.86-0.93). The quad loop is kept a loop: fully unrolled (as GCC does without the
// pragma) it ran 1.05x faster in cache but read memory at 0.85-0.89. Each quad loads its lane indices: with the
// four held in registers and indexed by the loop, four rows of x (acc[4][4]) ran at 0.6x the old loop's rate in
// L2, for want of registers.
template <int MB, int RB, bool kTail>
inline void Block(const XRow* xr, const uint8_t* const* c, const uint16_t* const* d, int64_t g, int64_t groups,
                  __m512 (&acc)[MB][RB]) {
  const __m512i mask = _mm512_set1_epi8(15);
  __m512 sc[RB];
  for (int r = 0; r < RB; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(d[r] + g + kScalePrefetch), _MM_HINT_T0);
    sc[r] = kTail ? Scales16(d[r], g, groups)
                  : _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d[r] + g)));
    // the code offset: sum over the block's groups of dw * cx
    for (int m = 0; m < MB; ++m) acc[m][r] = _mm512_fmadd_ps(sc[r], _mm512_load_ps(xr[m].cx + g), acc[m][r]);
    if constexpr (MB == 1) sc[r] = _mm512_mul_ps(sc[r], _mm512_load_ps(xr[0].dx + g));
  }
  const int64_t nq = kTail ? (groups - g + 3) / 4 : 4;
#pragma GCC unroll 1
  for (int64_t j = 0; j < nq; ++j) {
    const int64_t q = g / 4 + j;
    const __m512i lanes = _mm512_load_si512(kQuadLanes[j]);
    const __mmask64 bytes =
        !kTail || groups - 4 * q >= 4 ? ~__mmask64(0) : (__mmask64(1) << (16 * (groups - 4 * q))) - 1;
    for (int r = 0; r < RB; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(c[r] + q * 64 + kPrefetchBytes), _MM_HINT_T0);
      const __m512i b = _mm512_maskz_loadu_epi8(bytes, c[r] + q * 64);
      const __m512i lo = _mm512_and_si512(b, mask), hi = _mm512_and_si512(_mm512_srli_epi16(b, 4), mask);
      const __m512 dw = _mm512_permutexvar_ps(lanes, sc[r]);
      for (int m = 0; m < MB; ++m) {
        const auto* xq = reinterpret_cast<const __m512i*>(xr[m].xq + q * 128);
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_load_si512(xq));
        s = _mm512_dpbusd_epi32(s, hi, _mm512_load_si512(xq + 1));
        const __m512 scale =
            MB == 1 ? dw : _mm512_mul_ps(dw, _mm512_permutexvar_ps(lanes, _mm512_load_ps(xr[m].dx + g)));
        acc[m][r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[m][r]);
      }
    }
  }
}

template <int MB, int RB>
void Parts(const XRow* xr, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
           int64_t part) {
  const auto* codes = static_cast<const uint8_t*>(w.data);
  const int64_t groups = K / kQ4Group, full = groups / 16 * 16;
  for (int64_t i = 0; i < part; ++i) {
    const uint8_t* c[RB];
    const uint16_t* d[RB];
    for (int r = 0; r < RB; ++r) {
      const int64_t n = n0 + r * part + i;
      c[r] = codes + n * (K / 2);
      d[r] = w.group_scales + n * groups;
    }
    __m512 acc[MB][RB];
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < RB; ++r) acc[m][r] = _mm512_setzero_ps();
    for (int64_t g = 0; g < full; g += 16) Block<MB, RB, false>(xr, c, d, g, groups, acc);
    if (full < groups) Block<MB, RB, true>(xr, c, d, full, groups, acc);
    for (int r = 0; r < RB; ++r) {
      const int64_t n = n0 + r * part + i;
      const float b = bias ? bias[n] : 0.0f;
      for (int m = 0; m < MB; ++m) y[m * ldy + n] = ReduceAdd(acc[m][r]) + b;
    }
  }
}

template <int MB>
void Rows(const XRow* xr, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
          int64_t n1) {
  const int64_t part = (n1 - n0) / kParts, rest = n0 + kParts * part;
  Parts<MB, kParts>(xr, K, w, bias, y, ldy, n0, part);
  Parts<MB, 1>(xr, K, w, bias, y, ldy, rest, n1 - rest);  // the 0-3 rows left over
}

}  // namespace

int64_t q4_x_blocks(int64_t K) {
  return Quads(K) * 2 + DxBlocks(K) * 2;  // xq, dx, cx
}

const Q4RoundedX& q4_round_x(const float* x, int64_t M, int64_t K) {
  thread_local Q4RoundedX t_x;
  const size_t blocks = static_cast<size_t>(q4_x_blocks(K) * M);
  if (t_x.blocks.size() < blocks) t_x.blocks.resize(blocks);
  t_x.M = M;
  t_x.K = K;
  for (int64_t m = 0; m < M; ++m) QuantizeRow(x + m * K, K, t_x.blocks.data() + q4_x_blocks(K) * m);
  return t_x;
}

void q4_gemv_rounded(const Q4RoundedX& x, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
                     int64_t n1) {
  for (int64_t m = 0; m < x.M; m += 4) {
    XRow xr[4];
    for (int64_t i = 0; i < 4 && m + i < x.M; ++i) xr[i] = RowOf(x, m + i);
    float* ym = y + m * ldy;
    switch (x.M - m) {
      case 1: Rows<1>(xr, x.K, w, bias, ym, ldy, n0, n1); break;
      case 2: Rows<2>(xr, x.K, w, bias, ym, ldy, n0, n1); break;
      case 3: Rows<3>(xr, x.K, w, bias, ym, ldy, n0, n1); break;
      default: Rows<4>(xr, x.K, w, bias, ym, ldy, n0, n1); break;
    }
  }
}

void q4_gemv_vnni(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                  int64_t n0, int64_t n1) {
  q4_gemv_rounded(q4_round_x(x, M, K), w, bias, y, ldy, n0, n1);
}

}  // namespace gptj::avx512
