// Device memory behind every CUDA tensor: one cudaMalloc'd block per DeviceStorage (a
// Napi::ObjectWrap), reported to V8 with AdjustExternalMemory so GC pressure reflects GPU memory.
// Same surface as the CPU Storage (byteLength, freed, free, write, read) so the TS tensor code
// treats both alike; host<->device copies happen only through write/read (explicit, synchronous).
#pragma once
#include <napi.h>

#include <cstdint>
#include <vector>

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
// Device pointer of argument i (a live DeviceStorage of at least need_bytes); null/undefined gives
// nullptr when optional.
void* arg_dev(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t need_bytes,
              bool optional = false);
DeviceStorage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi);
double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
// JS number[] of integers in [lo, hi], at most max_len entries.
std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo,
                              int64_t hi, size_t max_len);

// q8 layout (same as the CPU addon): rows*cols int8, padded to 64 bytes, then rows f32 scales.
inline int64_t q8_scales_offset(int64_t rows, int64_t cols) { return (rows * cols + 63) / 64 * 64; }
inline int64_t q8_bytes(int64_t rows, int64_t cols) { return q8_scales_offset(rows, cols) + 4 * rows; }
// Bytes of n elements of a non-q8 dtype code.
inline int64_t elem_bytes(int dt) { return dt == 1 || dt == 2 ? 2 : 4; }

}  // namespace gptj_cuda
