// Row kernels compiled for the avx512 ISA (see rowops.h; flags come from the file name in CMakeLists.txt).
#define ROWOPS_NS isa_avx512
#define ROWOPS_TABLE rowops_avx512
#define ROWOPS_ISA "avx512"
#include "rowops_impl.inc"
