// Argument readers of the Node-API bindings of both addons. Each checks one JS value and throws a
// Napi::TypeError (wrong kind) or RangeError (out of range) naming the op and the argument, so a JS
// mistake is a JS exception, never a crash. as_* take any JS value (an argument, an object's
// property); arg_* take info[i] (missing arguments read as undefined).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dtype.h"

namespace gptj {

[[noreturn]] void throw_range(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_type(Napi::Env env, const std::string& msg);

// An integer number in [lo, hi].
int64_t as_int(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, int64_t lo, int64_t hi);
// Any number.
double as_num(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what);
int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi);
double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
DType arg_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what);
// JS number[] of at most max_len entries, each an integer in [lo, hi].
std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo,
                              int64_t hi, size_t max_len = 64);

// The data of an Int32Array argument of exactly n entries.
const int32_t* arg_i32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t n);

// The (byteOffset, TypedArray) arguments of a storage's read/write: the array's host bytes, checked to
// fit at byteOffset in a storage of `bytes` bytes. `what` names the array in errors ("write: src").
struct HostSpan {
  int64_t off;
  uint8_t* p;
  int64_t n;
};
HostSpan host_span(const Napi::CallbackInfo& info, const char* op, const char* what, int64_t bytes);

// The native object behind v when v carries `tag` (set by T's constructor); otherwise a TypeError
// "<op>: <what> must be <kind>". The tag, not the class, is checked: an ObjectWrap of another class
// (or of the other addon) unwrapped as T would be undefined behaviour.
template <class T>
T* as_tagged(Napi::Env env, const Napi::Value& v, const napi_type_tag& tag, const char* op, const std::string& what,
             const char* kind) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&tag))
    throw_type(env, std::string(op) + ": " + what + " must be " + kind);
  T* p = T::Unwrap(v.As<Napi::Object>());
  if (!p) throw_type(env, std::string(op) + ": " + what + " is not " + kind);
  return p;
}

}  // namespace gptj
