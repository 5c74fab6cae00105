// Run-time choice of the SIMD level used by the kernels in this directory (private header).
#pragma once

namespace gptj {

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Best level this CPU (and OS) supports: AVX2 needs AVX2+FMA+F16C; AVX-512 needs F/BW/VL/DQ too.
// $GPTJ_CPU_ISA=scalar|avx2|avx512 caps it (read once), so tests can exercise every path.
Isa cpu_isa();

}  // namespace gptj
