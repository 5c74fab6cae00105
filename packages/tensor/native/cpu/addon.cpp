// Entry point of gptj_cpu.node: registers every op family's exports.
#include <napi.h>

static Napi::Object CpuFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  __builtin_cpu_init();
  out.Set("avx2", __builtin_cpu_supports("avx2") != 0);
  out.Set("fma", __builtin_cpu_supports("fma") != 0);
  out.Set("f16c", __builtin_cpu_supports("f16c") != 0);
  out.Set("avx512f", __builtin_cpu_supports("avx512f") != 0);
  return out;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures));
  return exports;
}

NODE_API_MODULE(gptj_cpu, Init)
