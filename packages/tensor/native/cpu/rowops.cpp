// Picks the row-kernel table of the SIMD level the other kernels use (linear_isa.h cpu_isa(): the widest
// this CPU runs, capped by $GPTJ_CPU_ISA so tests reach the AVX2 and scalar tables too).
#include "rowops.h"

#include "linear_isa.h"

namespace gptj {

const RowOps& rowops() {
  static const RowOps* table = [] {
#if defined(__x86_64__)
    switch (cpu_isa()) {
      case Isa::Avx512: return &rowops_avx512;
      case Isa::Avx2: return &rowops_avx2;
      default: return &rowops_base;
    }
#else
    // Not x86-64: only rowops_base.cpp is built (CMakeLists.txt).
    return &rowops_base;
#endif
  }();
  return *table;
}

}  // namespace gptj
