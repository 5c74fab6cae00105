// Elementwise f32 ops: add/mul with numpy broadcasting, scale, gelu (tanh / erf).
#include <cmath>

#include "async_kernel.h"
#include "op_kernels.h"
#include "rowops.h"

namespace gptj {

void gelu_kernel(const float* px, float* po, int64_t n, bool approx) {
  par((n + 4095) / 4096, 4096 * 20, [&](int64_t c0, int64_t c1) {
    int64_t e = std::min(n, c1 * 4096);
    if (approx) {
      rowops().gelu_tanh(px + c0 * 4096, po + c0 * 4096, e - c0 * 4096);
    } else {
      for (int64_t i = c0 * 4096; i < e; i++) {
        float v = px[i];
        po[i] = 0.5f * v * (1.0f + std::erf(v * 0.7071067811865476f));
      }
    }
  });
}

namespace {

// binary(op: 0 add | 1 mul, a, b, out, shape: number[], aStrides: number[], bStrides: number[])
// out[i] = a[i .* aStrides] op b[i .* bStrides] over `shape` (row-major, out contiguous); a broadcast
// dimension has stride 0. The TS layer collapses dims so the last one is usually long.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* op = "add/mul";
  int64_t which = arg_int(info, 0, op, "op", 0, 1);
  auto shape = arg_ints(info, 4, op, "shape", 0, kMaxElems);
  auto as = arg_ints(info, 5, op, "aStrides", 0, kMaxElems);
  auto bs = arg_ints(info, 6, op, "bStrides", 0, kMaxElems);
  if (shape.empty() || as.size() != shape.size() || bs.size() != shape.size())
    throw_range(info.Env(), "add/mul: shape and strides must have the same non-zero length");
  double total_d = 1;
  for (int64_t d : shape) total_d *= static_cast<double>(d);
  Storage* a = arg_storage(info, 1, op, "a", 4.0 * strided_extent(shape, as));
  Storage* b = arg_storage(info, 2, op, "b", 4.0 * strided_extent(shape, bs));
  Storage* o = arg_storage(info, 3, op, "out", 4.0 * total_d);
  const int64_t total = static_cast<int64_t>(total_d);
  const float* pa = reinterpret_cast<const float*>(a->data());
  const float* pb = reinterpret_cast<const float*>(b->data());
  float* po = reinterpret_cast<float*>(o->data());
  const size_t nd = shape.size();
  const int64_t inner = shape[nd - 1], sa = as[nd - 1], sb = bs[nd - 1];
  const int64_t outer = inner == 0 ? 0 : total / inner;
  run_sync([&] {
    par(outer, inner, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        int64_t oa, ob;
        strided_row_offsets(r, shape, as, bs, &oa, &ob);
        const float* xa = pa + oa;
        const float* xb = pb + ob;
        float* y = po + r * inner;
        if (which == 0) {
          if (sa == 1 && sb == 1)
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i] + xb[i];
          else if (sa == 1 && sb == 0)
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i] + xb[0];
          else
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i * sa] + xb[i * sb];
        } else {
          if (sa == 1 && sb == 1)
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i] * xb[i];
          else if (sa == 1 && sb == 0)
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i] * xb[0];
          else
            for (int64_t i = 0; i < inner; i++) y[i] = xa[i * sa] * xb[i * sb];
        }
      }
    });
  });
  return info.Env().Undefined();
}

// scale(x, out, n, s): out[i] = x[i] * s
Napi::Value Scale(const Napi::CallbackInfo& info) {
  int64_t n = arg_int(info, 2, "scale", "n", 0, kMaxElems);
  Storage* x = arg_storage(info, 0, "scale", "x", 4.0 * n);
  Storage* o = arg_storage(info, 1, "scale", "out", 4.0 * n);
  float s = static_cast<float>(arg_num(info, 3, "scale", "s"));
  const float* px = reinterpret_cast<const float*>(x->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] {
    par((n + 4095) / 4096, 4096, [&](int64_t c0, int64_t c1) {
      int64_t e = std::min(n, c1 * 4096);
      for (int64_t i = c0 * 4096; i < e; i++) po[i] = px[i] * s;
    });
  });
  return info.Env().Undefined();
}

// gelu(x, out, n, tanhApprox: boolean)
//   tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   (HF gelu_new)
//   erf:  0.5 x (1 + erf(x / sqrt(2)))
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  int64_t n = arg_int(info, 2, "gelu", "n", 0, kMaxElems);
  Storage* x = arg_storage(info, 0, "gelu", "x", 4.0 * n);
  Storage* o = arg_storage(info, 1, "gelu", "out", 4.0 * n);
  bool approx = arg_bool(info, 3, "gelu", "tanhApprox");
  const float* px = reinterpret_cast<const float*>(x->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] { gelu_kernel(px, po, n, approx); });
  return info.Env().Undefined();
}
}  // namespace

void InitElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("gelu", Napi::Function::New(env, Gelu));
}

}  // namespace gptj
