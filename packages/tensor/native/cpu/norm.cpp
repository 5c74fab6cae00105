// Row-wise reductions over the last dim: layerNorm and softmax (f32 in, f32 out, f32 accumulate).
#include <cmath>

#include "async_kernel.h"
#include "op_kernels.h"
#include "rowops.h"

namespace gptj {

void layernorm_rows(const float* x, const float* g, const float* b, float* y, int64_t rows, int64_t D, float eps) {
  const RowOps& k = rowops();
  par(rows, 8 * D, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) k.layernorm(x + r * D, g, b, y + r * D, D, eps);
  });
}

namespace {

// Converts a [n] vector of any float dtype (not q8) to f32.
void to_f32(const uint8_t* src, DType dt, float* dst, int64_t n) {
  switch (dt) {
    case DType::F16: f16_to_f32(reinterpret_cast<const uint16_t*>(src), dst, n); break;
    case DType::BF16: bf16_to_f32(reinterpret_cast<const uint16_t*>(src), dst, n); break;
    default: std::copy_n(reinterpret_cast<const float*>(src), n, dst); break;
  }
}

DType arg_float_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what) {
  DType dt = arg_dtype(info, i, op, what);
  if (dt != DType::F32 && dt != DType::F16 && dt != DType::BF16)
    throw_type(info.Env(), std::string(op) + ": " + what + " must be f32, f16 or bf16");
  return dt;
}

// layerNorm(x, gamma, gammaDtype, beta, betaDtype, out, rows, D, eps)
//   x, out: f32 [rows, D]; gamma, beta: [D] of f32/f16/bf16.
//   out = (x - mean) / sqrt(var + eps) * gamma + beta, biased variance, as torch.
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const char* op = "layerNorm";
  int64_t rows = arg_int(info, 6, op, "rows", 0, kMaxElems);
  int64_t D = arg_int(info, 7, op, "D", 1, kMaxElems);
  DType gdt = arg_float_dtype(info, 2, op, "gammaDtype");
  DType bdt = arg_float_dtype(info, 4, op, "betaDtype");
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * rows * D);
  Storage* g = arg_storage(info, 1, op, "gamma", dtype_bytes(gdt, D));
  Storage* b = arg_storage(info, 3, op, "beta", dtype_bytes(bdt, D));
  Storage* o = arg_storage(info, 5, op, "out", 4.0 * rows * D);
  float eps = static_cast<float>(arg_num(info, 8, op, "eps"));
  std::vector<float> gamma(D), beta(D);
  const float* px = reinterpret_cast<const float*>(x->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] {
    to_f32(g->data(), gdt, gamma.data(), D);
    to_f32(b->data(), bdt, beta.data(), D);
    layernorm_rows(px, gamma.data(), beta.data(), po, rows, D, eps);
  });
  return info.Env().Undefined();
}

// softmax(x, out, rows, V): out[r] = exp(x[r] - max) / sum, over the last dim.
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* op = "softmax";
  int64_t rows = arg_int(info, 2, op, "rows", 0, kMaxElems);
  int64_t V = arg_int(info, 3, op, "V", 1, kMaxElems);
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * rows * V);
  Storage* o = arg_storage(info, 1, op, "out", 4.0 * rows * V);
  const float* px = reinterpret_cast<const float*>(x->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] {
    const RowOps& k = rowops();
    par(rows, 16 * V, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) k.softmax(px + r * V, po + r * V, V);
    });
  });
  return info.Env().Undefined();
}
}  // namespace

void InitNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
}

}  // namespace gptj
