// q4 GEMV with AVX512-VNNI integer dot products (compiled with -mavx512f/bw/vl/vnni -mf16c; called only
// after cpu_isa() says AVX-512 and the CPU has VNNI).
//
// The float kernel (q4_gemv_impl.inc) spends 9 instructions on every 32 weights (widen, table lookup,
// multiply-adds, scale) and so ran at 40-45 G weights/s per core on the Zen 5 host, about the rate its
// bandwidth delivers q4 data: no headroom for the floor. Here, as in ggml's q4_0 x q8_0 dot product, each
// row of x is first quantized to int8 in groups of 32 (scale dx = max|x| / 127, round half to even), and
// one vpdpbusd multiplies 32 unsigned codes by 32 int8 x values and sums them in fours: about 5
// instructions per 32 weights. Per pair of groups (a, b), for each W row:
//   acc (8 int32 lanes) = init + dpbusd(codes lo, xq lo) + dpbusd(codes hi, xq hi)
//      lanes 0-3 sum group a, 4-7 group b; init holds -8 * sum(xq) of each group in its first lane, so
//      the code offset (code - 8) costs nothing in the loop
//   y += float(acc) * (dw * dx) per lane, dw the group's f16 scale.
// So y differs from the f32 dequantize-then-matmul by the rounding of x, at most sum_k |w_k| * dx_g / 2
// (q4.test.ts checks against that bound).
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <vector>

#include "q4.h"

namespace gptj::avx512 {
namespace {

constexpr int kParts = 4;              // row streams per chunk, as gemv_impl.inc
constexpr int64_t kPrefetchBytes = 2048;

// One row of x, quantized for the pairs of groups of a K-long row (the last group alone when K / 32 is
// odd): per pair 64 bytes xq in the order the codes unpack (a 0-15, b 0-15, a 16-31, b 16-31), the
// init lanes, and dx of the pair's groups repeated to match the accumulator lanes.
struct XRow {
  const int8_t* xq;     // 64 bytes per pair
  const __m256i* init;  // one per pair
  const __m256* dx;     // one per pair: [dx_a x 4, dx_b x 4]
};

struct alignas(32) Block32 {
  int8_t b[32];
};
thread_local std::vector<Block32> t_scratch;

// Quantizes rows x[0..MB) of length K into scratch laid out as XRow (one per row of x).
void QuantizeX(const float* x, int64_t K, int MB, XRow* rows) {
  const int64_t groups = K / kQ4Group, pairs = (groups + 1) / 2;
  const size_t per_row = static_cast<size_t>(pairs * 4);  // 64 bytes xq + init + dx, in 32-byte units
  if (t_scratch.size() < per_row * MB) t_scratch.resize(per_row * MB);
  for (int m = 0; m < MB; ++m) {
    auto* base = reinterpret_cast<__m256i*>(t_scratch.data() + per_row * m);
    auto* xq = reinterpret_cast<int8_t*>(base);
    auto* init = base + 2 * pairs;
    auto* dx = reinterpret_cast<__m256*>(base + 3 * pairs);
    rows[m] = {xq, init, dx};
    for (int64_t p = 0; p < pairs; ++p) {
      alignas(32) int32_t in[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      alignas(32) float d8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int h = 0; h < 2; ++h) {
        int8_t* lo = xq + p * 64 + h * 16;  // a 0-15, b 0-15, a 16-31, b 16-31
        if (2 * p + h == groups) {  // a lone last group: the b half of xq is zero
          _mm_storeu_si128(reinterpret_cast<__m128i*>(lo), _mm_setzero_si128());
          _mm_storeu_si128(reinterpret_cast<__m128i*>(lo + 32), _mm_setzero_si128());
          continue;
        }
        const float* xg = x + m * K + (2 * p + h) * kQ4Group;
        const __m512 x0 = _mm512_loadu_ps(xg), x1 = _mm512_loadu_ps(xg + 16);
        const float d = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1))) / 127.0f;
        const __m512 inv = _mm512_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        // cvtps rounds half to even (the default MXCSR mode); |x * inv| <= 127, so no saturation
        const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, inv)), q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, inv));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(lo), _mm512_cvtsepi32_epi8(q0));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(lo + 32), _mm512_cvtsepi32_epi8(q1));
        in[4 * h] = -8 * _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        for (int l = 0; l < 4; ++l) d8[4 * h + l] = d;
      }
      init[p] = _mm256_load_si256(reinterpret_cast<const __m256i*>(in));
      dx[p] = _mm256_load_ps(d8);
    }
  }
}

float Sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The 32 codes of groups a and b as unsigned bytes: lo = a 0-15, b 0-15; hi = a 16-31, b 16-31. A lone
// last group (b missing) loads 16 bytes only and leaves b's codes 0 (its xq is 0 too).
inline void Codes(const uint8_t* c, bool lone, __m256i& lo, __m256i& hi) {
  const __m256i b = lone ? _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c)))
                         : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c));
  const __m256i mask = _mm256_set1_epi8(15);
  lo = _mm256_and_si256(b, mask);
  hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), mask);
}

// The f16 scales of groups [g, g + 16) as f32 (fewer at a row's end: the rest 0).
inline __m512 Scales16(const uint16_t* d, int64_t g, int64_t groups) {
  const __mmask16 m = groups - g >= 16 ? 0xffff : static_cast<__mmask16>((1u << (groups - g)) - 1);
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, d + g));
}

// Lanes of Scales16 for pair j (0-7) of its 16 groups: [2j x 4, 2j + 1 x 4] (upper half unused).
alignas(64) const int32_t kPairLanes[8][16] = {
    {0, 0, 0, 0, 1, 1, 1, 1}, {2, 2, 2, 2, 3, 3, 3, 3}, {4, 4, 4, 4, 5, 5, 5, 5}, {6, 6, 6, 6, 7, 7, 7, 7},
    {8, 8, 8, 8, 9, 9, 9, 9}, {10, 10, 10, 10, 11, 11, 11, 11}, {12, 12, 12, 12, 13, 13, 13, 13}, {14, 14, 14, 14, 15, 15, 15, 15}};

template <int MB, int RB>
void Parts(const XRow* xr, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
           int64_t part) {
  const auto* codes = static_cast<const uint8_t*>(w.data);
  const int64_t groups = K / kQ4Group, pairs = (groups + 1) / 2;
  for (int64_t i = 0; i < part; ++i) {
    const uint8_t* c[RB];
    const uint16_t* d[RB];
    for (int r = 0; r < RB; ++r) {
      const int64_t n = n0 + r * part + i;
      c[r] = codes + n * (K / 2);
      d[r] = w.group_scales + n * groups;
    }
    __m256 acc[MB][RB];
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < RB; ++r) acc[m][r] = _mm256_setzero_ps();
    __m512 sc[RB];
    for (int64_t p = 0; p < pairs; ++p) {
      const bool lone = 2 * p + 1 == groups;
      if (p % 8 == 0)
        for (int r = 0; r < RB; ++r) sc[r] = Scales16(d[r], 2 * p, groups);
      if (p % 2 == 0)  // a cache line of codes holds 2 pairs
        for (int r = 0; r < RB; ++r) _mm_prefetch(reinterpret_cast<const char*>(c[r] + p * 32 + kPrefetchBytes), _MM_HINT_T0);
      const __m512i lanes = _mm512_load_si512(kPairLanes[p % 8]);
      for (int r = 0; r < RB; ++r) {
        __m256i lo, hi;
        Codes(c[r] + p * 32, lone, lo, hi);
        const __m256 dw = _mm512_castps512_ps256(_mm512_permutexvar_ps(lanes, sc[r]));
        for (int m = 0; m < MB; ++m) {
          const auto* xq = reinterpret_cast<const __m256i*>(xr[m].xq + p * 64);
          __m256i s = _mm256_dpbusd_epi32(xr[m].init[p], lo, _mm256_load_si256(xq));
          s = _mm256_dpbusd_epi32(s, hi, _mm256_load_si256(xq + 1));
          acc[m][r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, xr[m].dx[p]), acc[m][r]);
        }
      }
    }
    for (int r = 0; r < RB; ++r) {
      const int64_t n = n0 + r * part + i;
      const float b = bias ? bias[n] : 0.0f;
      for (int m = 0; m < MB; ++m) y[m * ldy + n] = Sum8(acc[m][r]) + b;
    }
  }
}

template <int MB>
void Rows(const float* x, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy, int64_t n0,
          int64_t n1) {
  XRow xr[MB];
  QuantizeX(x, K, MB, xr);
  const int64_t part = (n1 - n0) / kParts, rest = n0 + kParts * part;
  Parts<MB, kParts>(xr, K, w, bias, y, ldy, n0, part);
  Parts<MB, 1>(xr, K, w, bias, y, ldy, rest, n1 - rest);  // the 0-3 rows left over
}

}  // namespace

void q4_gemv_vnni(const float* x, int64_t M, int64_t K, const WeightView& w, const float* bias, float* y, int64_t ldy,
                  int64_t n0, int64_t n1) {
  for (int64_t m = 0; m < M; m += 4) {
    const float* xm = x + m * K;
    float* ym = y + m * ldy;
    switch (M - m) {
      case 1: Rows<1>(xm, K, w, bias, ym, ldy, n0, n1); break;
      case 2: Rows<2>(xm, K, w, bias, ym, ldy, n0, n1); break;
      case 3: Rows<3>(xm, K, w, bias, ym, ldy, n0, n1); break;
      default: Rows<4>(xm, K, w, bias, ym, ldy, n0, n1); break;
    }
  }
}

}  // namespace gptj::avx512
