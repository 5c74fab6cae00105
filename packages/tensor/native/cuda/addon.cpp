// Entry point of gptj_cuda.node. Loading never touches the GPU; probe() does, once, and reports
// why CUDA is unavailable (e.g. "cudaErrorInsufficientDriver: ..." on a machine without a driver)
// instead of throwing, so the TS side can fall back to the CPU.
#include <napi.h>

#include "common/layouts.h"
#include "cublaslt.h"
#include "device.h"
#include "device_storage.h"
#include "gptj_runner.h"
#include "ops.h"

namespace gptj_cuda {
namespace {

// probe(): { available, reason?, device?, computeCapability?, totalMemory?, multiprocessors?, cublasLt? }
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const DeviceInfo& d = device();
  Napi::Object out = Napi::Object::New(env);
  out.Set("available", d.available);
  if (!d.reason.empty()) out.Set("reason", d.reason);
  if (!d.name.empty()) {
    out.Set("device", d.name);
    out.Set("computeCapability", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor));
    out.Set("totalMemory", static_cast<double>(d.total_memory));
    out.Set("multiprocessors", d.sm_count);
  }
  if (d.available) {
    lt_open();
    out.Set("cublasLt", lt_status());
  }
  return out;
}

// layouts(rows, cols): the dtype codes and q8 layout this addon uses (common/layouts.h); needs no GPU.
Napi::Value Layouts(const Napi::CallbackInfo& info) {
  int64_t rows, cols;
  return gptj::layouts_object(info, &rows, &cols);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("layouts", Napi::Function::New(env, Layouts));
  exports.Set("DeviceStorage", DeviceStorage::Init(env));
  register_ops(env, exports);
  register_runner(env, exports);
  return exports;
}

}  // namespace
}  // namespace gptj_cuda

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gptj_cuda::Init(env, exports); }

NODE_API_MODULE(gptj_cuda_addon, InitAddon)
