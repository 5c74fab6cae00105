#include "device.h"

#include "launch.h"

namespace gptj_cuda {

std::string cuda_error_string(cudaError_t e) { return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e); }

const DeviceInfo& device() {
  static DeviceInfo info = [] {
    DeviceInfo d;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      d.reason = cuda_error_string(e);
      return d;
    }
    if (n == 0) {
      d.reason = "no CUDA device found";
      return d;
    }
    cudaDeviceProp p{};
    if ((e = cudaSetDevice(0)) != cudaSuccess || (e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess ||
        (e = cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking)) != cudaSuccess) {
      d.reason = cuda_error_string(e);
      return d;
    }
    d.name = p.name;
    d.cc_major = p.major;
    d.cc_minor = p.minor;
    d.sm_count = p.multiProcessorCount;
    d.total_memory = p.totalGlobalMem;
    if (p.major < 8) {
      d.reason = "compute capability " + std::to_string(p.major) + "." + std::to_string(p.minor) +
                 " is below 8.0 (this addon is built for sm_80, sm_89, sm_90)";
      return d;
    }
    set_sm_count(p.multiProcessorCount);
    d.available = true;
    return d;
  }();
  return info;
}

void check(Napi::Env env, cudaError_t e, const char* op) {
  if (e == cudaSuccess) return;
  throw Napi::Error::New(env, std::string(op) + ": " + cuda_error_string(e));
}

cudaStream_t require_device(Napi::Env env, const char* op) {
  const DeviceInfo& d = device();
  if (!d.available) throw Napi::Error::New(env, std::string(op) + ": CUDA unavailable: " + d.reason);
  return d.stream;
}

void* scratch(Napi::Env env, size_t bytes) {
  static void* ptr = nullptr;
  static size_t size = 0;
  if (bytes <= size) return ptr;
  cudaStream_t s = require_device(env, "scratch");
  check(env, cudaStreamSynchronize(s), "scratch");  // the old block may still be in use
  if (ptr) cudaFree(ptr);
  ptr = nullptr;
  size = 0;
  check(env, cudaMalloc(&ptr, bytes), "scratch");
  size = bytes;
  return ptr;
}

}  // namespace gptj_cuda
