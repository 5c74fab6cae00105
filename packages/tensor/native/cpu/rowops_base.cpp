// Row kernels compiled for the base ISA (see rowops.h; flags come from the file name in CMakeLists.txt).
#define ROWOPS_NS isa_base
#define ROWOPS_TABLE rowops_base
#define ROWOPS_ISA "base"
#include "rowops_impl.inc"
