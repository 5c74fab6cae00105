// Row kernels compiled for the avx2 ISA (see rowops.h; flags come from the file name in CMakeLists.txt).
#define ROWOPS_NS isa_avx2
#define ROWOPS_TABLE rowops_avx2
#define ROWOPS_ISA "avx2"
#include "rowops_impl.inc"
