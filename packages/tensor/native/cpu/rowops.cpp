// Picks the widest row-kernel table this CPU runs (checked once).
#include "rowops.h"

namespace gptj {

const RowOps& rowops() {
  static const RowOps* table = [] {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
      return &rowops_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
      return &rowops_avx2;
#endif
    // Not x86-64: only rowops_base.cpp is built (CMakeLists.txt).
    return &rowops_base;
  }();
  return *table;
}

}  // namespace gptj
