// Device memory behind every CUDA tensor: one cudaMalloc'd block per DeviceStorage (a
// Napi::ObjectWrap), reported to V8 with AdjustExternalMemory so GC pressure reflects GPU memory.
// Same surface as the CPU Storage (byteLength, freed, free, write, read) so the TS tensor code
// treats both alike; host<->device copies happen only through write/read (explicit, synchronous).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

#include "common/args.h"

namespace gptj_cuda {

class DeviceStorage : public Napi::ObjectWrap<DeviceStorage> {
 public:
  static Napi::Function Init(Napi::Env env);
  // new DeviceStorage(byteLength: number, zero: boolean)
  explicit DeviceStorage(const Napi::CallbackInfo& info);
  ~DeviceStorage() override;

  void* data() const { return data_; }
  int64_t bytes() const { return bytes_; }
  // Throws "<op>: <what> was disposed" when freed.
  void check_live(Napi::Env env, const char* op, const char* what) const;

 private:
  Napi::Value ByteLength(const Napi::CallbackInfo& info);
  Napi::Value Freed(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);     // write(byteOffset, src: TypedArray): host -> device
  Napi::Value Read(const Napi::CallbackInfo& info);      // read(byteOffset, dst: TypedArray): device -> host, waits
  Napi::Value CopyFrom(const Napi::CallbackInfo& info);  // copyFrom(dstOffset, src: DeviceStorage, srcOffset, bytes)
  void release(Napi::Env env);

  void* data_ = nullptr;
  int64_t bytes_ = 0;
  bool freed_ = false;
};

// ---- argument helpers for the op bindings (throw TypeError/RangeError naming op and argument) ----
// The number, boolean and array readers and the q8 layout are the CPU addon's (native/common).
using gptj::arg_bool;
using gptj::arg_int;
using gptj::arg_ints;
using gptj::arg_num;
using gptj::q8_bytes;
using gptj::q8_scales_offset;
using gptj::throw_range;
using gptj::throw_type;

// The live DeviceStorage of argument i (checked by its type tag before unwrapping).
DeviceStorage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
// Device pointer of argument i (a live DeviceStorage of at least need_bytes); null/undefined gives
// nullptr when optional.
void* arg_dev(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t need_bytes,
              bool optional = false);
// Bytes of one element of a non-q8 dtype code (f16/bf16: 2, f32/i32: 4).
inline int64_t elem_bytes(int dt) { return static_cast<int64_t>(gptj::dtype_bytes(static_cast<gptj::DType>(dt), 1)); }

}  // namespace gptj_cuda
