// readBandwidth: the memory read bandwidth this process can reach with the kernel thread pool, the
// denominator of every "percent of the hardware floor" figure (decode reads each weight once per token).
//
// Each pool thread sums its contiguous share of one buffer as 64-bit integers, walking it as 4
// interleaved streams with software prefetch 2 KiB ahead: a single plain stream reached only about
// half the bandwidth on these machines, less than the GEMV kernel itself, which would make the floor
// meaningless. The buffer comes from mmap with huge pages (like the weights) and is first touched by
// the thread that reads it.
#include <sys/mman.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "mmap_flags.h"
#include "storage.h"

namespace gptj {
namespace {

constexpr int kStreams = 4;
constexpr int64_t kAheadWords = 256;  // 2 KiB

uint64_t SumStreams(const uint64_t* p0, int64_t len) {  // 4 streams of len words from p0
  const uint64_t *p1 = p0 + len, *p2 = p1 + len, *p3 = p2 + len;
  uint64_t s = 0;
  for (int64_t i = 0; i < len; i += 8) {  // one 64-byte line per stream per step
    __builtin_prefetch(p0 + i + kAheadWords);
    __builtin_prefetch(p1 + i + kAheadWords);
    __builtin_prefetch(p2 + i + kAheadWords);
    __builtin_prefetch(p3 + i + kAheadWords);
    for (int j = 0; j < 8; ++j) s += p0[i + j] + p1[i + j] + p2[i + j] + p3[i + j];
  }
  return s;
}

// readBandwidth(bytes: number, reps: number): number, bytes per second, best of reps.
Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = arg_int(info, 0, "readBandwidth", "bytes", int64_t(1) << 20, int64_t(1) << 36);
  const int64_t reps = arg_int(info, 1, "readBandwidth", "reps", 1, 1000);
  std::lock_guard<std::mutex> lock(compute_mutex());
  const int64_t parts = num_threads();
  const int64_t unit = parts * kStreams * 8;  // every stream a whole number of cache lines
  const int64_t words = bytes / 8 / unit * unit, share = words / parts, len = share / kStreams;
  void* mem = mmap(nullptr, static_cast<size_t>(words) * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) throw Napi::Error::New(env, "readBandwidth: cannot allocate " + std::to_string(bytes) + " bytes");
  advise_huge_pages(mem, static_cast<size_t>(words) * 8);
  auto* buf = static_cast<uint64_t*>(mem);
  parallel_for(parts, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) std::memset(buf + t * share, static_cast<int>(t + 1), static_cast<size_t>(share) * 8);
  });
  std::vector<uint64_t> sums(static_cast<size_t>(parts));
  double best = 1e30;
  for (int64_t r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    parallel_for(parts, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) sums[static_cast<size_t>(t)] = SumStreams(buf + t * share, len);
    });
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (dt < best) best = dt;
  }
  munmap(mem, static_cast<size_t>(words) * 8);
  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  if (check == 0) throw Napi::Error::New(env, "readBandwidth: the sum is zero");  // keeps the sums observable
  return Napi::Number::New(env, static_cast<double>(words) * 8 / best);
}

}  // namespace

void InitBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("readBandwidth", Napi::Function::New(env, ReadBandwidth));
}

}  // namespace gptj
