// bench_probe.node: reference measurements for tools/bench (see CMakeLists.txt).
#include <dlfcn.h>
#include <napi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs body(t) on `threads` threads (t = 0 on the caller) and waits for all.
template <typename F>
void OnThreads(int threads, F body) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(body, t);
  body(0);
  for (auto& th : pool) th.join();
}

// readBandwidth(bytes, threads, reps) -> GB/s (best of reps): every thread sums its contiguous
// share of one buffer as 64-bit integers, walking it as 4 interleaved streams with software
// prefetch 2 KiB ahead (one plain stream reached only about half the bandwidth here, less than the
// GEMV kernel itself); the buffer is first touched by the thread that later reads it.
Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = info[0].As<Napi::Number>().Int64Value();
  const int threads = info[1].As<Napi::Number>().Int32Value();
  const int reps = info[2].As<Napi::Number>().Int32Value();
  if (bytes < (1 << 20) || threads < 1 || reps < 1) {
    Napi::RangeError::New(env, "readBandwidth: need bytes >= 1 MiB, threads >= 1, reps >= 1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  constexpr int kStreams = 4;
  constexpr int64_t kAheadWords = 256;  // 2 KiB
  const int64_t words = bytes / 8 / (threads * kStreams * 8) * (threads * kStreams * 8);
  auto* buf = static_cast<uint64_t*>(std::aligned_alloc(4096, static_cast<size_t>(words) * 8));
  if (!buf) {
    Napi::Error::New(env, "readBandwidth: out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t share = words / threads;
  OnThreads(threads, [&](int t) { std::memset(buf + t * share, t + 1, static_cast<size_t>(share) * 8); });
  std::vector<uint64_t> sums(threads);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double t0 = Now();
    OnThreads(threads, [&](int t) {
      const int64_t len = share / kStreams;
      const uint64_t* p0 = buf + t * share;
      const uint64_t *p1 = p0 + len, *p2 = p1 + len, *p3 = p2 + len;
      uint64_t s = 0;
      for (int64_t i = 0; i < len; i += 8) {  // one 64-byte line per stream per step
        __builtin_prefetch(p0 + i + kAheadWords);
        __builtin_prefetch(p1 + i + kAheadWords);
        __builtin_prefetch(p2 + i + kAheadWords);
        __builtin_prefetch(p3 + i + kAheadWords);
        for (int j = 0; j < 8; ++j) s += p0[i + j] + p1[i + j] + p2[i + j] + p3[i + j];
      }
      sums[t] = s;
    });
    const double dt = Now() - t0;
    if (dt < best) best = dt;
  }
  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  std::free(buf);
  if (check == 0) {  // also keeps the sums observable, so the loop cannot be dropped
    Napi::Error::New(env, "readBandwidth: sum is zero").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(words) * 8 / best / 1e9);
}

// The two OpenBLAS entry points we need, declared here so no cblas.h is required.
using SgemmFn = void (*)(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A,
                         int lda, const float* B, int ldb, float beta, float* C, int ldc);
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
  exports.Set("readBandwidth", Napi::Function::New(env, ReadBandwidth));
  exports.Set("sgemm", Napi::Function::New(env, Sgemm));
  return exports;
}

}  // namespace

NODE_API_MODULE(bench_probe, Init)
