// readBandwidth: the memory read bandwidth this process can reach with the kernel thread pool, the
// denominator of every "percent of the hardware floor" figure (decode reads each weight once per token).
//
// A floor the kernel under test can beat is no floor (issue 16: one 4-stream scalar sum read 13-23
// GB/s where a plain AVX-512 sum read 27-47), and which simple reader a host rewards differs, so the
// probe runs every read loop this CPU has (bandwidth_readers.inc) over two buffers, one with
// transparent huge pages asked for (MADV_HUGEPAGE) and one without, and reports best and median per
// method. Passes go round-robin over the methods, so that all of them see the same neighbours on a
// shared host. Each pool thread reads its own contiguous share, which it touched first (pre-faulted:
// first touch costs ~2 s/GB on these VMs and must not be timed).
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bandwidth_readers.h"
#include "kernels.h"
#include "linear_isa.h"
#include "mmap_flags.h"
#include "storage.h"

namespace gptj {

namespace scalar {
namespace {

// The probe before issue 16: 64-bit words in 4 interleaved streams with prefetch 2 KiB ahead.
uint64_t FourStreams(const uint64_t* p0, int64_t words) {
  constexpr int64_t kAhead = 256;
  const int64_t len = words / 4;
  const uint64_t *p1 = p0 + len, *p2 = p1 + len, *p3 = p2 + len;
  uint64_t s = 0;
  for (int64_t i = 0; i < len; i += 8) {
    __builtin_prefetch(p0 + i + kAhead);
    __builtin_prefetch(p1 + i + kAhead);
    __builtin_prefetch(p2 + i + kAhead);
    __builtin_prefetch(p3 + i + kAhead);
    for (int j = 0; j < 8; ++j) s += p0[i + j] + p1[i + j] + p2[i + j] + p3[i + j];
  }
  return s;
}

}  // namespace

const ReadMethod kReadMethods[] = {{"scalar-4stream", FourStreams}, {nullptr, nullptr}};

}  // namespace scalar

namespace {

constexpr int64_t kShareAlignWords = 256;  // 2 KiB: see bandwidth_readers.h
constexpr size_t kHugePage = size_t(2) << 20;

#ifdef MADV_HUGEPAGE
constexpr bool kCanAskHugePages = true;
#else
constexpr bool kCanAskHugePages = false;
#endif

// Bytes of [p, p + n) backed by transparent huge pages (AnonHugePages of the mappings inside it in
// /proc/self/smaps; 0 where that file does not exist), so the report says what the kernel granted.
double HugePageBytes(const void* p, size_t n) {
  FILE* f = std::fopen("/proc/self/smaps", "r");
  if (!f) return 0;
  const auto lo = reinterpret_cast<uintptr_t>(p), hi = lo + n;
  char line[512];
  bool inside = false;
  double bytes = 0;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long a, b;
    long kb;
    if (std::sscanf(line, "%lx-%lx", &a, &b) == 2) {  // a mapping's header line (field lines have no hex-dash)
      inside = a >= lo && b <= hi;
    } else if (inside && std::sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) {
      bytes += 1024.0 * kb;
    }
  }
  std::fclose(f);
  return bytes;
}

struct Half {
  uint64_t* p;
  bool huge;  // MADV_HUGEPAGE asked for (else MADV_NOHUGEPAGE)
};

struct Combo {
  ReadMethod method;
  const Half* half;
  std::vector<double> rates;  // bytes/s of each timed pass
};

std::vector<ReadMethod> MethodsForThisCpu() {
  std::vector<const ReadMethod*> tables{scalar::kReadMethods};
#if defined(__x86_64__)  // the SIMD readers are built on x86-64 only (CMakeLists.txt)
  if (cpu_isa() >= Isa::Avx2) tables.push_back(avx2::kReadMethods);
  if (cpu_isa() >= Isa::Avx512) tables.push_back(avx512::kReadMethods);
#endif
  std::vector<ReadMethod> out;
  for (const ReadMethod* t : tables)
    for (; t->name; ++t) out.push_back(*t);
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// readBandwidth(bytes: number, passes: number) -> { threads, bytesPerBuffer, buffers: [{ hugePages,
// hugePageBytes }], methods: [{ name, hugePages, best, median }] } (bytes/s). `bytes` is split between
// the two buffers (one when huge pages cannot be asked for); every method reads each `passes` times.
Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int64_t bytes = arg_int(info, 0, "readBandwidth", "bytes", int64_t(1) << 20, int64_t(1) << 36);
  const int64_t passes = arg_int(info, 1, "readBandwidth", "passes", 1, 1000);
  std::lock_guard<std::mutex> lock(compute_mutex());
  const int64_t parts = num_threads(), nhalves = kCanAskHugePages ? 2 : 1;
  const int64_t share = bytes / 8 / nhalves / parts / kShareAlignWords * kShareAlignWords;  // words per thread
  if (share == 0)
    throw Napi::RangeError::New(env, "readBandwidth: bytes " + std::to_string(bytes) + " is too small for " +
                                         std::to_string(parts) + " threads");
  const size_t half_bytes = static_cast<size_t>(share * parts) * 8;
  const size_t stride = (half_bytes + kHugePage - 1) / kHugePage * kHugePage;
  const size_t map_bytes = stride * nhalves + kHugePage;  // slack to start on a 2 MiB boundary
  void* mem = mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    throw Napi::Error::New(env, "readBandwidth: cannot allocate " + std::to_string(map_bytes) + " bytes");
  auto* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(mem) + kHugePage - 1) / kHugePage * kHugePage);
  std::vector<Half> halves;
  for (int64_t h = 0; h < nhalves; ++h)
    halves.push_back({reinterpret_cast<uint64_t*>(base + h * stride), h == 0 && kCanAskHugePages});
#ifdef MADV_HUGEPAGE
  advise_huge_pages(halves[0].p, stride);
  madvise(halves[1].p, stride, MADV_NOHUGEPAGE);
#endif
  const auto fill = [](int64_t t) { return static_cast<int>(t % 255 + 1); };  // the byte thread t's share holds
  parallel_for(parts, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t)
      for (const Half& h : halves) std::memset(h.p + t * share, fill(t), static_cast<size_t>(share) * 8);
  });
  std::vector<Combo> combos;
  for (const ReadMethod& m : MethodsForThisCpu())
    for (const Half& h : halves) combos.push_back({m, &h, {}});
  // Thread t's share holds bytes fill(t), so every read loop must return share * that word (mod 2^64):
  // a pass that skipped data, or a thread that returned early, is an error, not a fast figure.
  std::vector<uint64_t> sums(static_cast<size_t>(parts));
  const auto expected = [&](int64_t t) {
    return static_cast<uint64_t>(share) * (0x0101010101010101ull * static_cast<uint64_t>(fill(t)));
  };
  const char* wrong = nullptr;
  for (int64_t pass = -1; pass < passes; ++pass) {  // pass -1 warms up every method, untimed
    for (Combo& c : combos) {
      const auto t0 = std::chrono::steady_clock::now();
      parallel_for(parts, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) sums[static_cast<size_t>(t)] = c.method.fn(c.half->p + t * share, share);
      });
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (pass >= 0) c.rates.push_back(static_cast<double>(half_bytes) / dt);
      for (int64_t t = 0; t < parts; ++t)
        if (sums[static_cast<size_t>(t)] != expected(t)) wrong = c.method.name;
    }
  }
  Napi::Array buffers = Napi::Array::New(env);
  for (const Half& h : halves) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("hugePages", h.huge);
    o.Set("hugePageBytes", HugePageBytes(h.p, stride));
    buffers.Set(buffers.Length(), o);
  }
  munmap(mem, map_bytes);
  if (wrong) throw Napi::Error::New(env, std::string("readBandwidth: method ") + wrong + " summed the buffer wrong");
  Napi::Array methods = Napi::Array::New(env);
  for (const Combo& c : combos) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", c.method.name);
    o.Set("hugePages", c.half->huge);
    o.Set("best", *std::max_element(c.rates.begin(), c.rates.end()));
    o.Set("median", Median(c.rates));
    methods.Set(methods.Length(), o);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("threads", static_cast<double>(parts));
  out.Set("bytesPerBuffer", static_cast<double>(half_bytes));
  out.Set("buffers", buffers);
  out.Set("methods", methods);
  return out;
}

}  // namespace

void InitBandwidth(Napi::Env env, Napi::Object exports) {
  exports.Set("readBandwidth", Napi::Function::New(env, ReadBandwidth));
}

}  // namespace gptj
