// The read loops of the bandwidth probe (bandwidth.cpp), one per method and SIMD level (private
// header). Each sums `words` 64-bit words from p (64-byte aligned, words a multiple of 256: every
// stream a whole number of cache lines in every method) and returns the sum, so that no load can be
// optimised away.
#pragma once
#include <cstdint>

namespace gptj {

using ReadFn = uint64_t (*)(const uint64_t* p, int64_t words);

struct ReadMethod {
  const char* name;
  ReadFn fn;
};

namespace scalar {
extern const ReadMethod kReadMethods[];  // terminated by {nullptr, nullptr}
}
namespace avx2 {
extern const ReadMethod kReadMethods[];
}
namespace avx512 {
extern const ReadMethod kReadMethods[];
}

}  // namespace gptj
