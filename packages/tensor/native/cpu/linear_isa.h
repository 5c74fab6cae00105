// Run-time choice of the SIMD level used by the kernels in this directory (private header).
#pragma once

namespace gptj {

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// Best level this CPU (and OS) supports: AVX2 needs AVX2+FMA+F16C; AVX-512 needs F/BW/VL/DQ too.
// $GPTJ_CPU_ISA=scalar|avx2|avx512 caps it (read once), so tests can exercise every path.
Isa cpu_isa();

// AVX-512 VNNI (int8 dot products) on top of cpu_isa() == Avx512; GPTJ_CPU_ISA=avx512-novnni turns it
// off (and caps at AVX-512), so tests can run the float AVX-512 paths on a VNNI CPU.
bool cpu_avx512_vnni();

// linear with 5 or more rows runs a dot-product GEMM on AVX-512 (gemm_dot_avx512.cpp) and, up to 128 rows and
// but for q4, on AVX2 (gemm_dot_avx2.cpp); $GPTJ_GEMM=packed (read once) sends every linear of 5 or more rows to
// the packed GEMM instead (the GEMV keeps 4 or fewer), so tests and the bench can compare the two.
bool linear_packed_gemm();

}  // namespace gptj
