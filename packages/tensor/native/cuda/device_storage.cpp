#include "device_storage.h"

#include <cuda_runtime_api.h>

#include <cmath>
#include <string>

#include "common/type_tags.h"
#include "device.h"

namespace gptj_cuda {

Napi::Function DeviceStorage::Init(Napi::Env env) {
  return DefineClass(
      env, "DeviceStorage",
      {InstanceAccessor<&DeviceStorage::ByteLength>("byteLength"), InstanceAccessor<&DeviceStorage::Freed>("freed"),
       InstanceMethod<&DeviceStorage::Free>("free"), InstanceMethod<&DeviceStorage::Write>("write"),
       InstanceMethod<&DeviceStorage::Read>("read"), InstanceMethod<&DeviceStorage::CopyFrom>("copyFrom")});
}

DeviceStorage::DeviceStorage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceStorage>(info) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&gptj::kDeviceStorageTag);
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
    if (info.Length() > 1 && info[1].ToBoolean().Value())
      check(env, cudaMemsetAsync(data_, 0, bytes_, s), "DeviceStorage");
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

Napi::Value DeviceStorage::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
}
Napi::Value DeviceStorage::Freed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), freed_); }
Napi::Value DeviceStorage::Free(const Napi::CallbackInfo& info) {
  release(info.Env());
  return info.Env().Undefined();
}

Napi::Value DeviceStorage::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_live(env, "write", "storage");
  const gptj::HostSpan src = gptj::host_span(info, "write", "write: src", bytes_);
  cudaStream_t s = require_device(env, "write");
  // From pageable memory the copy is staged before cudaMemcpyAsync returns, so `src` may change after.
  check(env, cudaMemcpyAsync(static_cast<uint8_t*>(data_) + src.off, src.p, src.n, cudaMemcpyHostToDevice, s), "write");
  check(env, cudaStreamSynchronize(s), "write");
  return env.Undefined();
}

Napi::Value DeviceStorage::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check_live(env, "read", "storage");
  const gptj::HostSpan dst = gptj::host_span(info, "read", "read: dst", bytes_);
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
  check(env,
        cudaMemcpyAsync(static_cast<uint8_t*>(data_) + doff, static_cast<uint8_t*>(src->data()) + soff, n,
                        cudaMemcpyDeviceToDevice, s),
        "copyFrom");
  return env.Undefined();
}

// ---- argument helpers ----

DeviceStorage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  Napi::Env env = info.Env();
  DeviceStorage* s = gptj::as_tagged<DeviceStorage>(env, info.Length() > i ? info[i] : env.Undefined(),
                                                    gptj::kDeviceStorageTag, op, what, "a DeviceStorage");
  s->check_live(env, op, what);
  return s;
}

void* arg_dev(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t need_bytes,
              bool optional) {
  if (optional && (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined())) return nullptr;
  DeviceStorage* s = arg_storage(info, i, op, what);
  if (s->bytes() < need_bytes)
    throw_range(info.Env(), std::string(op) + ": " + what + " holds " + std::to_string(s->bytes()) + " bytes, needs " +
                                std::to_string(need_bytes));
  return s->data();
}

}  // namespace gptj_cuda
