#include "device_storage.h"

#include <cuda_runtime_api.h>

#include <cmath>
#include <string>

#include "device.h"

namespace gptj_cuda {

Napi::Function DeviceStorage::Init(Napi::Env env) {
  return DefineClass(env, "DeviceStorage",
                     {InstanceAccessor<&DeviceStorage::ByteLength>("byteLength"),
                      InstanceAccessor<&DeviceStorage::Freed>("freed"), InstanceMethod<&DeviceStorage::Free>("free"),
                      InstanceMethod<&DeviceStorage::Write>("write"), InstanceMethod<&DeviceStorage::Read>("read"),
                      InstanceMethod<&DeviceStorage::CopyFrom>("copyFrom")});
}

DeviceStorage::DeviceStorage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceStorage>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "DeviceStorage: expected (byteLength: number, zero?: boolean)");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 0) || n != std::floor(n) || n > 9.0e15)
    throw Napi::RangeError::New(env, "DeviceStorage: byteLength must be a non-negative integer");
  cudaStream_t s = require_device(env, "DeviceStorage");
  bytes_ = static_cast<int64_t>(n);
  if (bytes_ > 0) {
    const cudaError_t e = cudaMalloc(&data_, static_cast<size_t>(bytes_));
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear the sticky-free allocation error
      throw Napi::RangeError::New(env, "DeviceStorage: cannot allocate " + std::to_string(bytes_) +
                                           " bytes on the GPU: " + cuda_error_string(e));
    }
    if (info.Length() > 1 && info[1].ToBoolean().Value()) check(env, cudaMemsetAsync(data_, 0, bytes_, s), "DeviceStorage");
    Napi::MemoryManagement::AdjustExternalMemory(env, bytes_);
  }
}

DeviceStorage::~DeviceStorage() {
  if (!freed_ && data_) cudaFree(data_);  // GC safety net; V8's external count is not adjusted from a finalizer
}

void DeviceStorage::release(Napi::Env env) {
  if (freed_) return;
  freed_ = true;
  if (data_) {
    // cudaFree waits for pending work on the buffer, so stream-ordered ops that read it finish first.
    cudaFree(data_);
    data_ = nullptr;
    Napi::MemoryManagement::AdjustExternalMemory(env, -bytes_);
  }
}

void DeviceStorage::check_live(Napi::Env env, const char* op, const char* what) const {
  if (freed_) throw Napi::Error::New(env, std::string(op) + ": " + what + " was disposed");
}

Napi::Value DeviceStorage::ByteLength(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(bytes_)); }
Napi::Value DeviceStorage::Freed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), freed_); }
Napi::Value DeviceStorage::Free(const Napi::CallbackInfo& info) {
  release(info.Env());
  return info.Env().Undefined();
}

// The (byteOffset, TypedArray) arguments of read/write: the array's host bytes, checked to fit at
// byteOffset in a device storage of `bytes` bytes.
struct HostSpan {
  int64_t off;
  uint8_t* p;
  int64_t n;
};
static HostSpan host_span(const Napi::CallbackInfo& info, const char* op, int64_t bytes) {
  Napi::Env env = info.Env();
  const int64_t off = arg_int(info, 0, op, "byteOffset", 0, bytes);
  if (info.Length() <= 1 || !info[1].IsTypedArray()) throw Napi::TypeError::New(env, std::string(op) + ": expected a TypedArray");
  Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.IsDetached()) throw Napi::TypeError::New(env, std::string(op) + ": the TypedArray is detached");
  const int64_t n = static_cast<int64_t>(ta.ByteLength());
  if (off + n > bytes)
    throw Napi::RangeError::New(env, std::string(op) + ": " + std::to_string(n) + " bytes at offset " + std::to_string(off) +
                                         " overflow a device storage of " + std::to_string(bytes));
  return {off, static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), n};
}

Napi::Value DeviceStorage::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_live(env, "write", "storage");
  const HostSpan src = host_span(info, "write", bytes_);
  cudaStream_t s = require_device(env, "write");
  // From pageable memory the copy is staged before cudaMemcpyAsync returns, so `src` may change after.
  check(env, cudaMemcpyAsync(static_cast<uint8_t*>(data_) + src.off, src.p, src.n, cudaMemcpyHostToDevice, s), "write");
  check(env, cudaStreamSynchronize(s), "write");
  return env.Undefined();
}

Napi::Value DeviceStorage::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_live(env, "read", "storage");
  const HostSpan dst = host_span(info, "read", bytes_);
  cudaStream_t s = require_device(env, "read");
  check(env, cudaMemcpyAsync(dst.p, static_cast<uint8_t*>(data_) + dst.off, dst.n, cudaMemcpyDeviceToHost, s), "read");
  check(env, cudaStreamSynchronize(s), "read");
  return env.Undefined();
}

Napi::Value DeviceStorage::CopyFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_live(env, "copyFrom", "destination");
  const int64_t doff = arg_int(info, 0, "copyFrom", "dstOffset", 0, bytes_);
  DeviceStorage* src = arg_storage(info, 1, "copyFrom", "source");
  const int64_t soff = arg_int(info, 2, "copyFrom", "srcOffset", 0, src->bytes());
  const int64_t n = arg_int(info, 3, "copyFrom", "byteLength", 0, std::min(bytes_ - doff, src->bytes() - soff));
  cudaStream_t s = require_device(env, "copyFrom");
  check(env, cudaMemcpyAsync(static_cast<uint8_t*>(data_) + doff, static_cast<uint8_t*>(src->data()) + soff, n,
                             cudaMemcpyDeviceToDevice, s), "copyFrom");
  return env.Undefined();
}

// ---- argument helpers ----

DeviceStorage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsObject())
    throw Napi::TypeError::New(env, std::string(op) + ": " + what + " must be a DeviceStorage");
  DeviceStorage* s = DeviceStorage::Unwrap(info[i].As<Napi::Object>());
  if (!s) throw Napi::TypeError::New(env, std::string(op) + ": " + what + " is not a DeviceStorage");
  s->check_live(env, op, what);
  return s;
}

void* arg_dev(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t need_bytes, bool optional) {
  if (optional && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  DeviceStorage* s = arg_storage(info, i, op, what);
  if (s->bytes() < need_bytes)
    throw Napi::RangeError::New(info.Env(), std::string(op) + ": " + what + " holds " + std::to_string(s->bytes()) +
                                                " bytes, needs " + std::to_string(need_bytes));
  return s->data();
}

int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(env, std::string(op) + ": " + what + " must be a number");
  const double v = info[i].As<Napi::Number>().DoubleValue();
  if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v))
    throw Napi::RangeError::New(env, std::string(op) + ": " + what + " must be an integer in [" + std::to_string(lo) +
                                         ", " + std::to_string(hi) + "], got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": " + what + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  if (info.Length() <= i || !info[i].IsBoolean())
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": " + what + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo,
                              int64_t hi, size_t max_len) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray())
    throw Napi::TypeError::New(env, std::string(op) + ": " + what + " must be an array");
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() > max_len)
    throw Napi::RangeError::New(env, std::string(op) + ": " + what + " has more than " + std::to_string(max_len) + " entries");
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || d != std::floor(d))
      throw Napi::RangeError::New(env, std::string(op) + ": " + what + "[" + std::to_string(k) + "] must be an integer in [" +
                                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

}  // namespace gptj_cuda
