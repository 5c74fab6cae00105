// Argument readers shared by both addons (see args.h).
#include "args.h"

#include <cmath>

namespace gptj {

void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }
void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

namespace {
Napi::Value arg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i ? info[i] : info.Env().Undefined();
}
bool is_int_in(double d, int64_t lo, int64_t hi) {
  return d == std::floor(d) && d >= static_cast<double>(lo) && d <= static_cast<double>(hi);
}
}  // namespace

int64_t as_int(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what, int64_t lo, int64_t hi) {
  const double d = as_num(env, v, op, what);
  if (!is_int_in(d, lo, hi))
    throw_range(env, std::string(op) + ": " + what + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double as_num(Napi::Env env, const Napi::Value& v, const char* op, const std::string& what) {
  if (!v.IsNumber()) throw_type(env, std::string(op) + ": " + what + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo, int64_t hi) {
  return as_int(info.Env(), arg(info, i), op, what, lo, hi);
}

double arg_num(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  return as_num(info.Env(), arg(info, i), op, what);
}

bool arg_bool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  const Napi::Value v = arg(info, i);
  if (!v.IsBoolean()) throw_type(info.Env(), std::string(op) + ": " + what + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

DType arg_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  return static_cast<DType>(arg_int(info, i, op, what, 0, kDTypeCount - 1));
}

std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t lo,
                              int64_t hi, size_t max_len) {
  Napi::Env env = info.Env();
  const Napi::Value v = arg(info, i);
  if (!v.IsArray()) throw_type(env, std::string(op) + ": " + what + " must be an array");
  auto a = v.As<Napi::Array>();
  const uint32_t n = a.Length();
  if (n > max_len)
    throw_range(env, std::string(op) + ": " + what + " has more than " + std::to_string(max_len) + " entries");
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; k++)
    out[k] = as_int(env, a.Get(k), op, std::string(what) + "[" + std::to_string(k) + "]", lo, hi);
  return out;
}

const int32_t* arg_i32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t n) {
  Napi::Env env = info.Env();
  const Napi::Value v = arg(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(env, std::string(op) + ": " + what + " must be an Int32Array");
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != n)
    throw_range(env, std::string(op) + ": " + what + " has " + std::to_string(a.ElementLength()) +
                         " entries, expected " + std::to_string(n));
  return a.Data();
}

HostSpan host_span(const Napi::CallbackInfo& info, const char* op, const char* what, int64_t bytes) {
  Napi::Env env = info.Env();
  const int64_t off = arg_int(info, 0, op, "byteOffset", 0, bytes);
  if (info.Length() <= 1 || !info[1].IsTypedArray()) throw_type(env, std::string(what) + " must be a TypedArray");
  auto ta = info[1].As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  if (ab.IsDetached()) throw_type(env, std::string(what) + " is detached");
  const int64_t n = static_cast<int64_t>(ta.ByteLength());
  if (off + n > bytes)
    throw_range(env, std::string(op) + ": " + std::to_string(n) + " bytes at offset " + std::to_string(off) +
                         " overflow a storage of " + std::to_string(bytes));
  return {off, static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), n};
}

}  // namespace gptj
