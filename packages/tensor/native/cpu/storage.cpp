// Storage: the native block behind a CPU tensor (design notes in storage.h), and the shared
// argument checks. Every binding validates its arguments here again even though the TS layer
// already did, so a JS-side mistake becomes a JS exception, never a crash.
#include "storage.h"

#include "host_alloc.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace gptj {

namespace {
struct AddonData {
  Napi::FunctionReference storage_ctor;
};
AddonData* addon_data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
}  // namespace

double dtype_bytes(DType dt, double n) {
  switch (dt) {
    case DType::F32:
    case DType::I32: return 4 * n;
    case DType::F16:
    case DType::BF16: return 2 * n;
    case DType::Q8: return n;
    case DType::Q4: return n / 2;  // codes only: see q4_bytes_d
  }
  return 4 * n;
}

std::mutex& compute_mutex() {
  static std::mutex m;
  return m;
}

void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }
void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

void Storage::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "Storage",
                                  {InstanceAccessor<&Storage::ByteLength>("byteLength"),
                                   InstanceAccessor<&Storage::Freed>("freed"),
                                   InstanceMethod<&Storage::Free>("free"),
                                   InstanceMethod<&Storage::Write>("write"),
                                   InstanceMethod<&Storage::Read>("read")});
  auto* data = new AddonData();
  data->storage_ctor = Napi::Persistent(fn);
  env.SetInstanceData<AddonData>(data);
  exports.Set("Storage", fn);
}

Storage::Storage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Storage>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() >= 1 && info[0].IsNumber()) {
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 0) || n != std::floor(n) || n > 9.0e15) throw_range(env, "Storage: byteLength must be a non-negative integer");
    bool zero = info.Length() >= 2 && info[1].ToBoolean();
    bytes_ = static_cast<int64_t>(n);
    data_ = static_cast<uint8_t*>(host_alloc(static_cast<size_t>(bytes_), &capacity_));
    if (!data_) throw_range(env, "Storage: out of memory allocating " + std::to_string(bytes_) + " bytes");
    if (zero) std::memset(data_, 0, static_cast<size_t>(bytes_));
    owned_ = true;
    Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(capacity_));
  } else if (info.Length() >= 1 && info[0].IsTypedArray()) {
    auto ta = info[0].As<Napi::TypedArray>();
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    if (ab.IsDetached()) throw_type(env, "Storage: the ArrayBuffer is detached");
    data_ = static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset();
    bytes_ = static_cast<int64_t>(ta.ByteLength());
    mapping_ = mapping_find(data_, bytes_);
    if (mapping_) {
      mapping_retain(mapping_);
    } else {
      borrowed_ = Napi::Persistent(ab);
    }
  } else {
    throw_type(env, "Storage: expected (byteLength: number, zero?: boolean) or (bytes: TypedArray)");
  }
}

Storage::~Storage() { release(); }

void Storage::release() {
  if (!data_) return;
  if (owned_) {
    host_free(data_, capacity_);
    Napi::MemoryManagement::AdjustExternalMemory(env_, -static_cast<int64_t>(capacity_));
  }
  if (mapping_) mapping_release(mapping_);
  mapping_ = nullptr;
  if (!borrowed_.IsEmpty()) borrowed_.Reset();
  data_ = nullptr;
  freed_ = true;
}

void Storage::check_live(const char* op, const char* what, bool check_file) {
  if (freed_ || !data_)
    throw Napi::Error::New(env_, std::string(op) + ": " + what + " was disposed");
  if (!borrowed_.IsEmpty() && borrowed_.Value().IsDetached())
    throw Napi::Error::New(env_, std::string(op) + ": " + what + " views an ArrayBuffer that was detached");
  if (check_file && mapping_) mapping_check(env_, mapping_, std::string(op) + ": " + what);
}

void Storage::unpin() {
  if (--pins_ == 0 && free_requested_) release();
}

Napi::Value Storage::ByteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
}
Napi::Value Storage::Freed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), freed_); }

Napi::Value Storage::Free(const Napi::CallbackInfo& info) {
  if (pins_ > 0) {
    free_requested_ = true;  // an AsyncWorker still reads/writes it: release on unpin
    freed_ = true;
  } else {
    release();
  }
  return info.Env().Undefined();
}

// The (byteOffset, TypedArray) arguments of read/write: the array's bytes, checked to fit at byteOffset
// in a storage of `bytes` bytes. `what` names the array in errors ("write: src").
struct HostSpan {
  int64_t off;
  uint8_t* p;
  int64_t n;
};
static HostSpan host_span(const Napi::CallbackInfo& info, const char* op, const char* what, int64_t bytes) {
  Napi::Env env = info.Env();
  const int64_t off = arg_int(info, 0, op, "byteOffset", 0, bytes);
  if (info.Length() <= 1 || !info[1].IsTypedArray()) throw_type(env, std::string(what) + " must be a TypedArray");
  auto ta = info[1].As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.IsDetached()) throw_type(env, std::string(what) + " is detached");
  const int64_t n = static_cast<int64_t>(ta.ByteLength());
  if (off + n > bytes)
    throw_range(env, std::string(op) + ": " + std::to_string(n) + " bytes at offset " + std::to_string(off) + " overflow a storage of " + std::to_string(bytes));
  return {off, static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), n};
}

Napi::Value Storage::Write(const Napi::CallbackInfo& info) {
  check_live("write", "storage");
  const HostSpan src = host_span(info, "write", "write: src", bytes_);
  if (src.n > 0) std::memmove(data_ + src.off, src.p, static_cast<size_t>(src.n));
  return info.Env().Undefined();
}

Napi::Value Storage::Read(const Napi::CallbackInfo& info) {
  check_live("read", "storage");
  const HostSpan dst = host_span(info, "read", "read: dst", bytes_);
  if (dst.n > 0) std::memmove(dst.p, data_ + dst.off, static_cast<size_t>(dst.n));
  return info.Env().Undefined();
}

Storage* as_storage(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, double need_bytes) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(addon_data(env)->storage_ctor.Value()))
    throw_type(env, std::string(op) + ": " + what + " must be a native Storage");
  Storage* s = Storage::Unwrap(v.As<Napi::Object>());
  if (!s) throw_type(env, std::string(op) + ": " + what + " is not a native Storage");
  s->check_live(op, what.c_str());
  if (!(need_bytes >= 0) || static_cast<double>(s->bytes()) < need_bytes)
    throw_range(env, std::string(op) + ": " + what + " holds " + std::to_string(s->bytes()) + " bytes, needs " + std::to_string(need_bytes));
  return s;
}

Storage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                     double need_bytes) {
  return as_storage(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), op, what, need_bytes);
}

int64_t as_int(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, int64_t lo, int64_t hi) {
  if (!v.IsNumber()) throw_type(env, std::string(op) + ": " + what + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d == std::floor(d)) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throw_range(env, std::string(op) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double as_num(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what) {
  if (!v.IsNumber()) throw_type(env, std::string(op) + ": " + what + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo,
                int64_t hi) {
  return as_int(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), op, what, lo, hi);
}

double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  return as_num(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), op, what);
}

bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  if (info.Length() <= i || !info[i].IsBoolean()) throw_type(info.Env(), std::string(op) + ": " + what + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

DType arg_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  return static_cast<DType>(arg_int(info, i, op, what, 0, 5));
}

std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                              int64_t lo, int64_t hi) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray()) throw_type(env, std::string(op) + ": " + what + " must be an array");
  auto a = info[i].As<Napi::Array>();
  uint32_t n = a.Length();
  if (n > 64) throw_range(env, std::string(op) + ": " + what + " has too many entries");
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; k++) {
    Napi::Value v = a.Get(k);
    if (!v.IsNumber()) throw_type(env, std::string(op) + ": " + what + " must hold numbers");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d == std::floor(d)) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
      throw_range(env, std::string(op) + ": " + what + "[" + std::to_string(k) + "] out of range");
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

void InitStorage(Napi::Env env, Napi::Object exports) { Storage::Init(env, exports); }

}  // namespace gptj
