// Persistent thread pool behind gptj::parallel_for (kernels.h).
//
// Why not OpenMP: libgomp.a cannot be linked into a .node. Why persistent: a decode step runs a few
// hundred parallel regions, and creating threads per region would cost more than the work.
//
// Protocol: the caller publishes a job (fn, n, chunk count) and bumps `generation_`; worker w runs
// chunk w (the caller runs chunk 0) and decrements `pending_`. Workers spin briefly on the
// generation counter before sleeping on a condition variable, so back-to-back regions (a decode
// step) wake them in well under a microsecond while an idle pool costs no CPU.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define GPTJ_CPU_RELAX() _mm_pause()
#else
#define GPTJ_CPU_RELAX() ((void)0)
#endif

#include "kernels.h"

namespace gptj {
namespace {

// True on pool workers and on a caller inside a region: a nested parallel_for runs inline.
thread_local bool t_in_region = false;

// Spin iterations (each a `pause`, tens of cycles) before a worker goes to sleep.
constexpr int kSpinIterations = 20000;

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(threads) {
    for (int w = 1; w < threads_; ++w) workers_.emplace_back([this, w] { WorkerLoop(w); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      stop_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

  int threads() const { return threads_; }

  // Runs fn over [0, n) split into at most threads_ contiguous chunks; blocks until all are done.
  void Run(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t chunks = n < threads_ ? n : threads_;
    fn_ = &fn;
    n_ = n;
    chunks_ = chunks;
    error_ = nullptr;
    pending_.store(threads_ - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    RunChunk(0);
    while (pending_.load(std::memory_order_acquire) != 0) GPTJ_CPU_RELAX();
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void RunChunk(int64_t c) {
    if (c >= chunks_) return;
    const int64_t begin = n_ * c / chunks_, end = n_ * (c + 1) / chunks_;
    try {
      (*fn_)(begin, end);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }

  void WorkerLoop(int w) {
    t_in_region = true;
    uint64_t seen = 0;
    for (;;) {
      uint64_t gen = generation_.load(std::memory_order_acquire);
      for (int i = 0; gen == seen && i < kSpinIterations; ++i) {
        GPTJ_CPU_RELAX();
        gen = generation_.load(std::memory_order_acquire);
      }
      if (gen == seen) {
        std::unique_lock<std::mutex> lock(sleep_mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        gen = generation_.load(std::memory_order_acquire);
      }
      seen = gen;
      if (stop_) return;
      RunChunk(w);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  const int threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  // The current job; written by the caller before the generation bump, read by workers after it.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunks_ = 0;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

int DefaultThreads() {
  if (const char* env = std::getenv("GPTJ_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// One region at a time: callers from different threads (async workers) queue on this mutex.
std::mutex g_pool_mutex;
std::unique_ptr<ThreadPool> g_pool;  // guarded by g_pool_mutex
// Requested size (0: not yet read from the environment). Atomic, not under g_pool_mutex, so that
// num_threads() works inside a region; the pool is rebuilt to this size at the next region.
std::atomic<int> g_threads{0};

int Threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    int expected = 0;
    g_threads.compare_exchange_strong(expected, DefaultThreads());
    n = g_threads.load(std::memory_order_relaxed);
  }
  return n;
}

}  // namespace

void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (t_in_region) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  const int threads = Threads();
  if (threads == 1 || n == 1) {
    t_in_region = true;
    try {
      fn(0, n);
    } catch (...) {
      t_in_region = false;
      throw;
    }
    t_in_region = false;
    return;
  }
  if (!g_pool || g_pool->threads() != threads) {
    g_pool.reset();
    g_pool = std::make_unique<ThreadPool>(threads);
  }
  t_in_region = true;
  try {
    g_pool->Run(n, fn);
  } catch (...) {
    t_in_region = false;
    throw;
  }
  t_in_region = false;
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1, got " + std::to_string(n));
  g_threads.store(n, std::memory_order_relaxed);
}

int num_threads() { return Threads(); }

}  // namespace gptj
