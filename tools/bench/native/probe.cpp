// bench_probe.node: the OpenBLAS sgemm peer of tools/bench and the compute ceiling (see CMakeLists.txt).
#include <dlfcn.h>
#include <napi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "compute-peak.h"

namespace {

double Now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// The two OpenBLAS entry points we need, declared here so no cblas.h is required.
using SgemmFn = void (*)(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A, int lda,
                         const float* B, int ldb, float beta, float* C, int ldc);
using SetThreadsFn = void (*)(int);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

// sgemm(M, N, K, threads, reps) -> { gflops, library } for C[M,N] = A[M,K] @ B[N,K]^T (the layout
// of linear), best of reps after one warm-up; or { skipped: reason } without OpenBLAS.
Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int M = info[0].As<Napi::Number>().Int32Value(), N = info[1].As<Napi::Number>().Int32Value();
  const int K = info[2].As<Napi::Number>().Int32Value(), threads = info[3].As<Napi::Number>().Int32Value();
  const int reps = info[4].As<Napi::Number>().Int32Value();
  Napi::Object out = Napi::Object::New(env);
  const char* names[] = {"libopenblas.so.0", "libopenblas.so"};
  void* lib = nullptr;
  const char* found = nullptr;
  for (const char* name : names) {
    if ((lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))) {
      found = name;
      break;
    }
  }
  if (!lib) {
    out.Set("skipped", "OpenBLAS not found (" + std::string(dlerror()) + "); apt-get install -y libopenblas-dev");
    return out;
  }
  auto sgemm = reinterpret_cast<SgemmFn>(dlsym(lib, "cblas_sgemm"));
  auto set_threads = reinterpret_cast<SetThreadsFn>(dlsym(lib, "openblas_set_num_threads"));
  if (!sgemm || !set_threads) {
    out.Set("skipped", std::string(found) + " lacks cblas_sgemm / openblas_set_num_threads");
    return out;
  }
  set_threads(threads);
  std::vector<float> a(static_cast<size_t>(M) * K), b(static_cast<size_t>(N) * K), c(static_cast<size_t>(M) * N);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 17) * 0.125f - 1.0f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 13) * 0.0625f - 0.375f;
  double best = 1e30;
  for (int r = 0; r <= reps; ++r) {
    const double t0 = Now();
    sgemm(kRowMajor, kNoTrans, kTrans, M, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c.data(), N);
    const double dt = Now() - t0;
    if (r > 0 && dt < best) best = dt;
  }
  out.Set("gflops", 2.0 * M * N * K / best / 1e9);
  out.Set("library", found);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  exports.Set("computePeak", Napi::Function::New(env, ComputePeak));
  return exports;
}

}  // namespace

NODE_API_MODULE(bench_probe, Init)
