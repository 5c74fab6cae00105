#include "linear_isa.h"

#include <cstdlib>
#include <cstring>

namespace gptj {
namespace {

Isa Detect() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  Isa best = avx512 ? Isa::Avx512 : avx2 ? Isa::Avx2 : Isa::Scalar;
#else
  Isa best = Isa::Scalar;
#endif
  if (const char* cap = std::getenv("GPTJ_CPU_ISA")) {
    Isa limit = best;
    if (std::strcmp(cap, "scalar") == 0)
      limit = Isa::Scalar;
    else if (std::strcmp(cap, "avx2") == 0)
      limit = Isa::Avx2;
    else if (std::strcmp(cap, "avx512") == 0 || std::strcmp(cap, "avx512-novnni") == 0)
      limit = Isa::Avx512;
    if (limit < best) best = limit;
  }
  return best;
}

}  // namespace

Isa cpu_isa() {
  static const Isa isa = Detect();
  return isa;
}

bool cpu_avx512_vnni() {
#if defined(__x86_64__)
  static const bool vnni =
      cpu_isa() == Isa::Avx512 && __builtin_cpu_supports("avx512vnni") &&
      !(std::getenv("GPTJ_CPU_ISA") && std::strcmp(std::getenv("GPTJ_CPU_ISA"), "avx512-novnni") == 0);
  return vnni;
#else
  return false;
#endif
}

bool linear_packed_gemm() {
  static const bool packed = std::getenv("GPTJ_GEMM") && std::strcmp(std::getenv("GPTJ_GEMM"), "packed") == 0;
  return packed;
}

}  // namespace gptj
