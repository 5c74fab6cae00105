// Benchmark helpers (bench.cu): on-device random fill and a streaming-read bandwidth probe.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace gptj_cuda {
// p dtype dt [rows, cols] = uniform(-amp, amp); for DT_Q8 fills q8 (int8) and q8_scales (amp / 127) instead.
void fill_random(void* p, int dt, int64_t rows, int64_t cols, uint64_t seed, float amp, int8_t* q8, float* q8_scales,
                 cudaStream_t s);
// Bytes per second of a streaming read over `bytes` of p (16-byte aligned), averaged over iters;
// waits for the GPU.
double read_bandwidth(const void* p, int64_t bytes, int iters, unsigned* sink, cudaStream_t s);
}  // namespace gptj_cuda
