// Storage: the native block behind a CPU tensor (design notes in storage.h), and the storage
// argument check. Every binding validates its arguments (here and in common/args.h) again even though
// the TS layer already did, so a JS-side mistake becomes a JS exception, never a crash.
#include "storage.h"

#include "common/type_tags.h"
#include "host_alloc.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace gptj {

std::mutex& compute_mutex() {
  static std::mutex m;
  return m;
}

void Storage::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function fn = DefineClass(env, "Storage",
                                  {InstanceAccessor<&Storage::ByteLength>("byteLength"),
                                   InstanceAccessor<&Storage::Freed>("freed"), InstanceMethod<&Storage::Free>("free"),
                                   InstanceMethod<&Storage::Write>("write"), InstanceMethod<&Storage::Read>("read")});
  exports.Set("Storage", fn);
}

Storage::Storage(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Storage>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&kStorageTag);
  if (info.Length() >= 1 && info[0].IsNumber()) {
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 0) || n != std::floor(n) || n > 9.0e15)
      throw_range(env, "Storage: byteLength must be a non-negative integer");
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
  if (freed_ || !data_) throw Napi::Error::New(env_, std::string(op) + ": " + what + " was disposed");
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
  Storage* s = as_tagged<Storage>(env, v, kStorageTag, op, what, "a native Storage");
  s->check_live(op, what.c_str());
  if (!(need_bytes >= 0) || static_cast<double>(s->bytes()) < need_bytes)
    throw_range(env, std::string(op) + ": " + what + " holds " + std::to_string(s->bytes()) + " bytes, needs " +
                         std::to_string(need_bytes));
  return s;
}

Storage* arg_storage(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, double need_bytes) {
  return as_storage(info.Env(), info.Length() > i ? info[i] : info.Env().Undefined(), op, what, need_bytes);
}

void InitStorage(Napi::Env env, Napi::Object exports) { Storage::Init(env, exports); }

}  // namespace gptj
