// Entry point of gptj_cpu.node: registers every op family's exports.
#include <napi.h>

#include "common/layouts.h"
#include "kernels.h"
#include "q4.h"
#include "storage.h"

namespace {

Napi::Object CpuFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#if defined(__x86_64__)
  __builtin_cpu_init();
  out.Set("avx2", __builtin_cpu_supports("avx2") != 0);
  out.Set("fma", __builtin_cpu_supports("fma") != 0);
  out.Set("f16c", __builtin_cpu_supports("f16c") != 0);
  out.Set("avx512f", __builtin_cpu_supports("avx512f") != 0);
#else
  // Not x86-64: none of these, and the kernels run their scalar paths (CMakeLists.txt).
  for (const char* f : {"avx2", "fma", "f16c", "avx512f"}) out.Set(f, false);
#endif
  return out;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = gptj::arg_int(info, 0, "setNumThreads", "n", 1, 1024);
  std::lock_guard<std::mutex> lock(gptj::compute_mutex());
  gptj::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), gptj::num_threads()); }

// Bytes of native memory V8 has been told about (AdjustExternalMemory): for tests and diagnostics.
Napi::Value ExternalMemory(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(Napi::MemoryManagement::AdjustExternalMemory(info.Env(), 0)));
}

// layouts(rows, cols): common/layouts.h's dtype codes and q8 layout, plus this addon's q4 (q4.h).
Napi::Value Layouts(const Napi::CallbackInfo& info) {
  int64_t rows, cols;
  Napi::Object out = gptj::layouts_object(info, &rows, &cols);
  out.Set("q4Group", static_cast<double>(gptj::kQ4Group));
  out.Set("q4ScalesOffset", static_cast<double>(gptj::q4_scales_offset(rows, cols)));
  out.Set("q4Bytes", gptj::q4_bytes_d(static_cast<double>(rows), static_cast<double>(cols)));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("externalMemory", Napi::Function::New(env, ExternalMemory));
  exports.Set("layouts", Napi::Function::New(env, Layouts));
  gptj::InitStorage(env, exports);
  gptj::InitMmap(env, exports);
  gptj::InitPageCache(env, exports);
  gptj::InitElementwise(env, exports);
  gptj::InitNorm(env, exports);
  gptj::InitAttention(env, exports);
  gptj::InitShape(env, exports);
  gptj::InitIndex(env, exports);
  gptj::InitLinalg(env, exports);
  gptj::InitCast(env, exports);
  gptj::InitBandwidth(env, exports);
  gptj::InitGPTJRunner(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(gptj_cpu, Init)
