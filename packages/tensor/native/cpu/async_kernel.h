// Shared pieces of the op bindings: running a kernel now (under the compute lock) or on a libuv
// worker thread (AsyncWorker) with its storages pinned so JS cannot free them mid-flight.
#pragma once
#include <functional>
#include <utility>
#include <vector>

#include "kernels.h"
#include "storage.h"

namespace gptj {

// Runs fn over [0, n) on the pool when the work (n * cost, in rough flops) is worth the hand-off.
inline void par(int64_t n, int64_t cost, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n == 1 || n * cost < 65536) {
    fn(0, n);
  } else {
    parallel_for(n, fn);
  }
}

inline void run_sync(const std::function<void()>& kernel) {
  std::lock_guard<std::mutex> lock(compute_mutex());
  kernel();
}

// Promise<void> resolved once `kernel` ran on a worker thread. Every storage in `pinned` is
// referenced (no GC) and pinned (free() deferred) until then.
class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, std::vector<Storage*> pinned, std::function<void()> kernel)
      : Napi::AsyncWorker(env, "gptj:kernel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pinned_(std::move(pinned)),
        kernel_(std::move(kernel)) {
    for (Storage* s : pinned_) {
      refs_.push_back(Napi::Persistent(s->Value()));
      s->pin();
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      run_sync(kernel_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    unpin_all();
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    unpin_all();
    deferred_.Reject(e.Value());
  }

 private:
  void unpin_all() {
    for (Storage* s : pinned_) s->unpin();
    pinned_.clear();
    refs_.clear();
  }
  Napi::Promise::Deferred deferred_;
  std::vector<Storage*> pinned_;
  std::vector<Napi::ObjectReference> refs_;
  std::function<void()> kernel_;
};

// Queues a KernelWorker and returns its promise.
inline Napi::Value run_async(Napi::Env env, std::vector<Storage*> pinned, std::function<void()> kernel) {
  auto* w = new KernelWorker(env, std::move(pinned), std::move(kernel));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace gptj
