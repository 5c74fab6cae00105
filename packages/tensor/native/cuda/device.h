// The CUDA device this addon uses (device 0), probed once, and the stream every op is enqueued on.
// Ops run in stream order, so per-op temporaries can come from one grow-only scratch block.
#pragma once
#include <cuda_runtime_api.h>
#include <napi.h>

#include <cstddef>
#include <string>

namespace gptj_cuda {

struct DeviceInfo {
  bool available = false;
  std::string reason;  // why not available, e.g. "cudaErrorInsufficientDriver: ..."
  std::string name;    // e.g. "NVIDIA H100 80GB HBM3"
  int cc_major = 0, cc_minor = 0, sm_count = 0;
  size_t total_memory = 0;
  cudaStream_t stream = nullptr;
};

// First call probes: cudaGetDeviceCount, device properties, a non-blocking stream. Never throws.
const DeviceInfo& device();

// "cudaErrorXxx: message" for a CUDA error code.
std::string cuda_error_string(cudaError_t e);

// Throws a JS Error "<op>: cudaErrorXxx: message" when e != cudaSuccess.
void check(Napi::Env env, cudaError_t e, const char* op);
// Throws unless the device is available (message: the probe's reason).
cudaStream_t require_device(Napi::Env env, const char* op);

// Per-op device temporary of at least `bytes`, valid until the next scratch() call (stream ordered).
void* scratch(Napi::Env env, size_t bytes);

}  // namespace gptj_cuda
