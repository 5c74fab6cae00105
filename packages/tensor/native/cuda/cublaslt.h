// cuBLASLt, opened at run time with dlopen (libcublasLt.so.13, then .12): the addon links no cuBLAS,
// so it builds and loads on machines that only have the CUDA compiler and runtime.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace gptj_cuda {

// Opens the library and creates a handle once; later calls return the cached result.
bool lt_open();
// "libcublasLt.so.13" when open, else why not (dlopen error).
const std::string& lt_status();

// y f32 [M,N] = x [M,K] . W[N,K]^T  (+ y when accumulate), x and W both f16 or both bf16 (dt),
// f32 accumulation on tensor cores. Algorithms are chosen by heuristic once per shape and cached, so
// a call made during CUDA graph capture does no host-side search. Returns false on any cuBLASLt
// failure (the caller falls back to its own kernel).
bool lt_linear(const void* x, const void* w, int dt, int64_t M, int64_t N, int64_t K, float* y, bool accumulate,
               void* workspace, size_t workspace_bytes, cudaStream_t stream);

constexpr size_t kLtWorkspaceBytes = 32u << 20;

}  // namespace gptj_cuda
