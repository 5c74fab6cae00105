// Persistent thread pool behind gptj::parallel_for (kernels.h).
//
// Why not OpenMP: libgomp.a cannot be linked into a .node. Why persistent: a decode step runs a few
// hundred parallel regions, and creating threads per region would cost more than the work.
//
// Why dynamic chunks: the cores are often shared (other jobs, other processes of ours). The first pool
// gave thread w the fixed chunk w and the caller spun until every chunk was done, so each region waited
// for every worker to be scheduled; measured on the 2-vCPU host with one other busy process, a mini-code
// decode step took 25-37 ms at 2 threads against 1.4 ms at 1 (29 involuntary context switches per token:
// the spinning caller held the core its own worker was queued for), and 4 threads on 2 cores 50-92 ms.
// Now a region is split into up to kChunksPerThread chunks per thread, claimed from one atomic ticket by
// the caller and by whichever workers are running: a worker that is descheduled, or not yet awake, does
// not hold up the region (the caller takes its share); only a chunk already claimed is waited for.
//
// Waiting yields the core: workers and the caller spin at most kSpinNs (none when there are more pool
// threads than cores the process may run on), then sleep on a futex. A blocked waiter lets the kernel run
// (or migrate) the thread that holds the last chunk, where a spinning one would keep it off the core.
//
// Protocol: `ticket_` holds (generation << 32 | next chunk). The caller publishes a job (fn, n, chunks),
// resets `done_`, stores the new ticket, bumps `wake_word_` and wakes sleeping workers. A thread claims
// chunk i by a CAS of the ticket from (g, i) to (g, i + 1) after reading the job: a successful CAS for
// i < chunks proves job g is not finished, so the job fields it read are g's (the caller only writes the
// next job once every chunk is done). The thread that completes the last chunk wakes a sleeping caller.
#if defined(__linux__)
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <condition_variable>
#endif

#include <atomic>
#include <chrono>
#include <climits>
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

// Chunks per pool thread: enough that a late or descheduled thread's share is small, few enough that each
// chunk of a large GEMV stays a long sequential read (16384 rows of 4096 f16 at 2 threads: 2 MiB chunks).
constexpr int64_t kChunksPerThread = 8;
// How long a waiting thread spins before it sleeps: longer than the gap between back-to-back regions of
// a decode step, far shorter than a scheduler time slice.
constexpr auto kSpinNs = std::chrono::microseconds(50);

#if defined(__linux__)
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}
#else
// No futex outside Linux (macOS): one mutex and condition variable stand in for every word (C++20's
// atomic wait would do, but the addon is C++17). The waker has changed the word before it takes the lock,
// and the waiter tests the word under it, so a wake between test and sleep cannot be lost; notify_all
// wakes waiters of other words too, which recheck and sleep again.
std::mutex g_wait_mutex;
std::condition_variable g_wait_cv;
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
  std::unique_lock<std::mutex> lock(g_wait_mutex);
  g_wait_cv.wait(lock, [&] { return word->load(std::memory_order_seq_cst) != expected; });
}
void futex_wake_all(std::atomic<uint32_t>*) {
  { std::lock_guard<std::mutex> lock(g_wait_mutex); }
  g_wait_cv.notify_all();
}
#endif

// Spins while word == value, for at most `budget`; returns whether it changed.
bool spin_while_equal(const std::atomic<uint32_t>& word, uint32_t value, std::chrono::nanoseconds budget) {
  if (budget.count() == 0) return word.load(std::memory_order_acquire) != value;
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int i = 0; i < 32; ++i) {
      if (word.load(std::memory_order_acquire) != value) return true;
      GPTJ_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

// Cores this process may run on (its CPU affinity mask), at least 1.
// (sched_getaffinity is Linux-only; elsewhere the machine's hardware threads.)
int available_cores() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads)
      : threads_(threads), spin_(threads > available_cores() ? std::chrono::nanoseconds(0) : kSpinNs) {
    // Each worker's baseline is the word as it is now, not as the worker first reads it: a worker the OS
    // starts late (threads > cores) could otherwise read a word already bumped by a job or by the
    // destructor, take that as its baseline and sleep through the destructor's wake-up, hanging its join.
    const uint32_t baseline = wake_word_.load(std::memory_order_relaxed);
    for (int w = 1; w < threads_; ++w) workers_.emplace_back([this, baseline] { WorkerLoop(baseline); });
  }

  ~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    futex_wake_all(&wake_word_);
    for (auto& t : workers_) t.join();
  }

  int threads() const { return threads_; }

  // Runs fn over [0, n) split into at most threads_ * kChunksPerThread contiguous chunks; blocks until
  // all are done.
  void Run(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t chunks = n < threads_ * kChunksPerThread ? n : threads_ * kChunksPerThread;
    // Close the previous job's ticket before writing this job's fields. Otherwise a worker that loaded
    // the exhausted ticket (g, chunks of g) and then read this job's larger chunk count claimed "chunk
    // chunks-of-g" of this job on the old ticket: that chunk ran twice and done_ was over-counted, so the
    // caller returned early or slept forever (scripts/threadpool-stress.cpp, threads > cores). The
    // acq_rel exchange orders every successful claim of job g before the field writes below.
    ticket_.exchange((generation_ << 32) | 0xffffffffu, std::memory_order_acq_rel);
    fn_.store(&fn, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    chunks_.store(static_cast<uint32_t>(chunks), std::memory_order_relaxed);
    error_ = nullptr;
    done_.store(0, std::memory_order_relaxed);
    generation_ = (generation_ + 1) & 0xffffffffu;
    ticket_.store(generation_ << 32, std::memory_order_release);
    wake_word_.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) futex_wake_all(&wake_word_);
    Work();
    WaitDone(static_cast<uint32_t>(chunks));
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Claims and runs chunks of the current job until none is left.
  void Work() {
    uint64_t t = ticket_.load(std::memory_order_acquire);
    for (;;) {
      const auto* fn = fn_.load(std::memory_order_relaxed);
      const int64_t n = n_.load(std::memory_order_relaxed);
      const uint32_t chunks = chunks_.load(std::memory_order_relaxed);
      const uint32_t c = static_cast<uint32_t>(t);
      if (c >= chunks) return;
      if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      try {
        (*fn)(n * c / chunks, n * (c + 1) / chunks);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
      if (done_.fetch_add(1, std::memory_order_seq_cst) + 1 == chunks &&
          caller_sleeping_.load(std::memory_order_seq_cst))
        futex_wake_all(&done_);
      t = ticket_.load(std::memory_order_acquire);
    }
  }

  // The caller, after its own claims: chunks still running elsewhere are waited for, spinning briefly.
  void WaitDone(uint32_t chunks) {
    for (;;) {
      const uint32_t d = done_.load(std::memory_order_acquire);
      if (d == chunks) return;
      if (spin_while_equal(done_, d, spin_)) continue;
      caller_sleeping_.store(true, std::memory_order_seq_cst);
      if (done_.load(std::memory_order_seq_cst) == d) futex_wait(&done_, d);
      caller_sleeping_.store(false, std::memory_order_relaxed);
    }
  }

  void WorkerLoop(uint32_t seen) {
    t_in_region = true;
    for (;;) {
      if (!spin_while_equal(wake_word_, seen, spin_)) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        if (wake_word_.load(std::memory_order_seq_cst) == seen) futex_wait(&wake_word_, seen);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
      const uint32_t now = wake_word_.load(std::memory_order_acquire);
      if (now == seen) continue;  // spurious futex return
      seen = now;
      if (stop_.load(std::memory_order_relaxed)) return;
      Work();
    }
  }

  const int threads_;
  const std::chrono::nanoseconds spin_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> ticket_{0};
  uint64_t generation_ = 0;             // the caller's copy of the ticket's high half
  std::atomic<uint32_t> wake_word_{0};  // bumped per job; workers sleep on it
  std::atomic<uint32_t> done_{0};       // chunks of the current job finished; the caller sleeps on it
  std::atomic<int> sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
  // The current job (see the protocol above for why relaxed loads suffice).
  std::atomic<const std::function<void(int64_t, int64_t)>*> fn_{nullptr};
  std::atomic<int64_t> n_{0};
  std::atomic<uint32_t> chunks_{0};
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

// $GPTJ_THREADS when valid, else the available cores; never more than the available cores (the JS
// layer warns about a capped $GPTJ_THREADS or setNumThreads).
int DefaultThreads() {
  const int cores = available_cores();
  if (const char* env = std::getenv("GPTJ_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) return v < cores ? static_cast<int>(v) : cores;
  }
  return cores;
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
  t_in_region = true;
  try {
    if (threads == 1 || n == 1) {
      fn(0, n);
    } else {
      if (!g_pool || g_pool->threads() != threads) {
        g_pool.reset();
        g_pool = std::make_unique<ThreadPool>(threads);
      }
      g_pool->Run(n, fn);
    }
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
