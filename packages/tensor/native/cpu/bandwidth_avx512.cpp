// AVX-512 read loops of the bandwidth probe (compiled with -mavx512f/bw/vl/dq; used only after
// cpu_isa() says so). The loops are in bandwidth_readers.inc.
#pragma GCC diagnostic ignored "-Wuninitialized"  // GCC 12's false positive on AVX-512 intrinsics (gemv_avx512.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "bandwidth_readers.h"

namespace gptj::avx512 {
namespace {

struct V {
  using R = __m512i;
  static constexpr int64_t kWords = 8;
  static R zero() { return _mm512_setzero_si512(); }
  static R load(const uint64_t* p) { return _mm512_load_si512(p); }
  static R stream_load(const uint64_t* p) { return _mm512_stream_load_si512(const_cast<uint64_t*>(p)); }
  static R add(R a, R b) { return _mm512_add_epi64(a, b); }
  static uint64_t sum(R v) {
    const __m256i h = _mm256_add_epi64(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    const __m128i q = _mm_add_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    return static_cast<uint64_t>(_mm_cvtsi128_si64(q)) + static_cast<uint64_t>(_mm_extract_epi64(q, 1));
  }
};

}  // namespace

#include "bandwidth_readers.inc"

const ReadMethod kReadMethods[] = {
    {"avx512", ReadOne<Pf::None, false>},
    {"avx512-prefetch", ReadOne<Pf::T0, false>},
    {"avx512-prefetchnta", ReadOne<Pf::Nta, false>},
    {"avx512-ntload", ReadOne<Pf::None, true>},
    {"avx512-4stream", ReadFourStreams},
    {nullptr, nullptr},
};

}  // namespace gptj::avx512
