// The frame every CUDA op binding runs in (ops.cpp). The binding's body reads its arguments through
// OpCall, which names the op in every error, and asks for the device stream only once all of them
// are checked: a wrong call is a TypeError/RangeError on any machine (with or without a GPU) and
// nothing is enqueued for it. bind_op adds the epilogue: a failed launch is thrown naming the op,
// and the binding returns `result` (undefined unless the body set it).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "device.h"
#include "device_storage.h"

namespace gptj_cuda {

class OpCall {
 public:
  OpCall(const Napi::CallbackInfo& info, const char* op) : info_(info), op_(op) {}
  Napi::Env env() const { return info_.Env(); }
  const char* op() const { return op_; }

  int64_t i64(size_t i, const char* what, int64_t lo, int64_t hi) const { return arg_int(info_, i, op_, what, lo, hi); }
  double num(size_t i, const char* what) const { return arg_num(info_, i, op_, what); }
  bool flag(size_t i, const char* what) const { return arg_bool(info_, i, op_, what); }
  std::vector<int64_t> ints(size_t i, const char* what, int64_t lo, int64_t hi, size_t max_len) const {
    return arg_ints(info_, i, op_, what, lo, hi, max_len);
  }
  // A dtype code of f32/f16/bf16 (and q8 when allow_q8) for the storage named `what`.
  int float_dtype(size_t i, const char* what, bool allow_q8) const;
  // Device pointer of a live DeviceStorage argument of at least `bytes` (null/undefined: nullptr when optional).
  template <class T = void>
  T* dev(size_t i, const char* what, int64_t bytes, bool optional = false) const {
    return static_cast<T*>(arg_dev(info_, i, op_, what, bytes, optional));
  }
  [[noreturn]] void range_error(const std::string& why) const { throw_range(env(), std::string(op_) + ": " + why); }

  // The device stream; call after every argument check.
  cudaStream_t stream() {
    used_device_ = true;
    return require_device(env(), op_);
  }
  bool used_device() const { return used_device_; }

  Napi::Value result;

 private:
  const Napi::CallbackInfo& info_;
  const char* op_;
  bool used_device_ = false;
};

using OpBody = void (*)(OpCall&);

// exports[name] = the binding that runs `body` in an OpCall frame.
void bind_op(Napi::Env env, Napi::Object exports, const char* name, OpBody body);

}  // namespace gptj_cuda
