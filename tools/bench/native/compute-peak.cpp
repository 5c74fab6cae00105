// The machine's f32 FMA ceiling on T threads, measured with register-resident loops (the reference the
// prefill GEMM is held to, issue 16), plus the rate the best ISA path converts f16 weights to f32 at.
// Each loop is compiled for its ISA with a target attribute and only run where the CPU has it, so the
// addon itself stays baseline x86-64.
//   fma     24 independent FMA chains per thread (latency 4 x 2 pipes needs 8; 24 leaves no doubt)
//   cvt     vcvtph2ps from an L1-resident f16 buffer, 4 independent streams, results summed so none is dead
//   tile    the f16 GEMM's inner step in registers: per 16 k, 4 f16 W vectors converted, 6 x vectors
//           loaded from L1, 24 FMAs (the dot-product tile of @gptj/tensor's gemm_dot_avx512.cpp)
// GCC 12 reports the `__Y = __Y` placeholders inside AVX-512 intrinsics as uninitialized (a false positive
// GCC 13 no longer reports; @gptj/tensor silences it the same way).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "compute-peak.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 24;
// L1-resident operands of the cvt and tile loops: 4 W rows of 256 f16 and 6 x rows of 256 f32 (8 KiB).
constexpr int kSpan = 256;

struct Isa {
  const char* name;
  int lanes;
  // Each returns the loop's flops (fma, tile) or converted elements (cvt) for `iters` iterations, and
  // writes a sum of its registers to *sink so nothing is optimised away.
  double (*fma)(int64_t iters, float* sink);
  double (*cvt)(int64_t iters, float* sink);
  double (*tile)(int64_t iters, float* sink);
};

// ---- AVX-512 --------------------------------------------------------------------------------------
__attribute__((target("avx512f,fma,f16c"))) double Fma512(int64_t iters, float* sink) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 24
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  *sink += out[0];
  return 2.0 * 16 * kChains * static_cast<double>(iters);
}

__attribute__((target("avx512f,fma,f16c"))) double Cvt512(int64_t iters, float* sink) {
  alignas(64) static thread_local uint16_t w[4 * kSpan];
  for (int i = 0; i < 4 * kSpan; ++i) w[i] = static_cast<uint16_t>(0x3c00 + (i & 0x3ff));
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
  for (int64_t it = 0; it < iters; ++it)
    for (int k = 0; k < kSpan; k += 16)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
        acc[j] = _mm512_add_ps(acc[j],
                               _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(w + j * kSpan + k))));
  alignas(64) float out[16];
  _mm512_store_ps(out, _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  *sink += out[0];
  return 4.0 * kSpan * static_cast<double>(iters);
}

__attribute__((target("avx512f,fma,f16c"))) double Tile512(int64_t iters, float* sink) {
  alignas(64) static thread_local uint16_t w[4 * kSpan];
  alignas(64) static thread_local float x[6 * kSpan];
  for (int i = 0; i < 4 * kSpan; ++i) w[i] = static_cast<uint16_t>(0x3c00 + (i & 0xff));
  for (int i = 0; i < 6 * kSpan; ++i) x[i] = 1e-3f * static_cast<float>(i & 0xff);
  __m512 acc[6][4];
  for (auto& row : acc)
    for (auto& a : row) a = _mm512_setzero_ps();
  for (int64_t it = 0; it < iters; ++it)
    for (int k = 0; k < kSpan; k += 16) {
      __m512 wv[4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
        wv[j] = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(w + j * kSpan + k)));
#pragma GCC unroll 6
      for (int i = 0; i < 6; ++i) {
        const __m512 xv = _mm512_load_ps(x + i * kSpan + k);
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
      }
    }
  __m512 s = _mm512_setzero_ps();
  for (auto& row : acc)
    for (auto& a : row) s = _mm512_add_ps(s, a);
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
  *sink += out[0];
  return 2.0 * 16 * 24 * (kSpan / 16) * static_cast<double>(iters);
}

// ---- AVX2 -----------------------------------------------------------------------------------------
__attribute__((target("avx2,fma,f16c"))) double Fma256(int64_t iters, float* sink) {
  __m256 acc[kChains / 2];  // 16 ymm registers: 12 chains
  for (int i = 0; i < kChains / 2; ++i) acc[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
    for (int i = 0; i < kChains / 2; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < kChains / 2; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float out[8];
  _mm256_store_ps(out, s);
  *sink += out[0];
  return 2.0 * 8 * (kChains / 2) * static_cast<double>(iters);
}

__attribute__((target("avx2,fma,f16c"))) double Cvt256(int64_t iters, float* sink) {
  alignas(64) static thread_local uint16_t w[4 * kSpan];
  for (int i = 0; i < 4 * kSpan; ++i) w[i] = static_cast<uint16_t>(0x3c00 + (i & 0x3ff));
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t it = 0; it < iters; ++it)
    for (int k = 0; k < kSpan; k += 8)
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j)
        acc[j] =
            _mm256_add_ps(acc[j], _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(w + j * kSpan + k))));
  alignas(32) float out[8];
  _mm256_store_ps(out, _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  *sink += out[0];
  return 4.0 * kSpan * static_cast<double>(iters);
}

// ---- scalar (the compiler's baseline: SSE2 on x86-64) ---------------------------------------------
double FmaScalar(int64_t iters, float* sink) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = 1.0f + i * 1e-3f;
  for (int64_t it = 0; it < iters; ++it)
#pragma GCC unroll 24
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * 0.999999f + 1e-6f;
  float s = 0;
  for (float a : acc) s += a;
  *sink += s;
  return 2.0 * kChains * static_cast<double>(iters);
}

Isa BestIsa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return {"avx512", 16, Fma512, Cvt512, Tile512};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
    return {"avx2", 8, Fma256, Cvt256, nullptr};
  return {"scalar", 1, FmaScalar, nullptr, nullptr};
}

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Runs `loop` on `threads` threads started together, each timed by its own CPU time; best over `reps` of
// the sum of the threads' rates. CPU time, not wall time: on a shared host a thread that waits for a core
// would otherwise count as a slow core, and the ceiling is what the cores do while they run (all of them
// at once, so a clock that drops under an all-core load is in it).
double Rate(double (*loop)(int64_t, float*), int threads, int64_t iters, int reps) {
  double best = 0;
  for (int r = 0; r <= reps; ++r) {  // r == 0 warms up (clocks, page faults of the thread stacks)
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<double> rate(threads);
    std::vector<float> sink(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        const double t0 = ThreadCpuSeconds();
        const double work = loop(iters, &sink[t]);
        rate[t] = work / (ThreadCpuSeconds() - t0);
      });
    while (ready.load() < threads) std::this_thread::yield();
    go.store(true, std::memory_order_release);
    for (auto& th : pool) th.join();
    double total = 0;
    for (double v : rate) total += v;
    if (r > 0) best = std::max(best, total);
  }
  return best;
}

}  // namespace

// computePeak(threads, reps) -> { isa, fmaGflops, cvtGelems?, tileGflops? }: best of reps runs, each
// about 50 ms of work per thread on a 4 GHz core.
Napi::Value ComputePeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int threads = info[0].As<Napi::Number>().Int32Value(), reps = info[1].As<Napi::Number>().Int32Value();
  if (threads < 1 || reps < 1) {
    Napi::RangeError::New(env, "computePeak(threads, reps): both must be >= 1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const Isa isa = BestIsa();
  Napi::Object out = Napi::Object::New(env);
  out.Set("isa", isa.name);
  // ~1.6e8 FMA instructions per thread at full width: tens of ms
  out.Set("fmaGflops", Rate(isa.fma, threads, 160'000'000 / kChains, reps) / 1e9);
  if (isa.cvt) out.Set("cvtGelems", Rate(isa.cvt, threads, 100'000'000 / (4 * kSpan / isa.lanes), reps) / 1e9);
  if (isa.tile) out.Set("tileGflops", Rate(isa.tile, threads, 160'000'000 / (24 * kSpan / 16), reps) / 1e9);
  return out;
}
