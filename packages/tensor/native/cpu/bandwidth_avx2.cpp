// AVX2 read loops of the bandwidth probe (compiled with -mavx2; used only after cpu_isa() says so).
// The loops are in bandwidth_readers.inc.
#include <immintrin.h>

#include "bandwidth_readers.h"

namespace gptj::avx2 {
namespace {

struct V {
  using R = __m256i;
  static constexpr int64_t kWords = 4;
  static R zero() { return _mm256_setzero_si256(); }
  static R load(const uint64_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static R stream_load(const uint64_t* p) { return _mm256_stream_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static R add(R a, R b) { return _mm256_add_epi64(a, b); }
  static uint64_t sum(R v) {
    const __m128i q = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return static_cast<uint64_t>(_mm_cvtsi128_si64(q)) + static_cast<uint64_t>(_mm_extract_epi64(q, 1));
  }
};

}  // namespace

#include "bandwidth_readers.inc"

const ReadMethod kReadMethods[] = {
    {"avx2", ReadOne<Pf::None, false>},
    {"avx2-prefetch", ReadOne<Pf::T0, false>},
    {"avx2-ntload", ReadOne<Pf::None, true>},
    {"avx2-4stream", ReadFourStreams},
    {nullptr, nullptr},
};

}  // namespace gptj::avx2
