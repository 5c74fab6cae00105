// Bindings of the GEMM family: linear (x @ W^T + b, weights as stored) and batched f32 matmul.
// The kernels themselves live in linear*/gemm*.cpp behind kernels.h.
#include "async_kernel.h"
#include "q4.h"

namespace gptj {

namespace {

// linear(x, w, wDtype, bias | null, out, M, K, N, async): inputs, output, dims (the CUDA addon's order too)
//   x f32 [M, K]; w [N, K] of f32/f16/bf16/q8/q4 (q8: scales after the values, see common/dtype.h; q4:
//   q4.h, K a multiple of 32);
//   bias f32 [N] or null; out f32 [M, N]. async: returns a Promise<void> and runs on a worker.
Napi::Value Linear(const Napi::CallbackInfo& info) {
  const char* op = "linear";
  DType wdt = arg_dtype(info, 2, op, "wDtype");
  int64_t M = arg_int(info, 5, op, "M", 0, kMaxElems);
  int64_t K = arg_int(info, 6, op, "K", 0, kMaxElems);
  if (wdt == DType::I32) throw_type(info.Env(), "linear: weights must be f32, f16, bf16, q8 or q4");
  if (wdt == DType::Q4 && K % kQ4Group != 0)
    throw_range(info.Env(), "linear: q4 weights need K a multiple of 32, got " + std::to_string(K));
  int64_t N = arg_int(info, 7, op, "N", 0, kMaxElems);
  bool async = arg_bool(info, 8, op, "async");
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * M * K);
  Storage* w = arg_storage(info, 1, op, "w",
                           wdt == DType::Q8   ? q8_bytes_d(N, K)
                           : wdt == DType::Q4 ? q4_bytes_d(N, K)
                                              : dtype_bytes(wdt, 1.0 * N * K));
  Storage* b = nullptr;
  if (!info[3].IsNull() && !info[3].IsUndefined()) b = arg_storage(info, 3, op, "bias", 4.0 * N);
  Storage* o = arg_storage(info, 4, op, "out", 4.0 * M * N);
  const float* px = reinterpret_cast<const float*>(x->data());
  const void* pw = w->data();
  const float* scales = wdt == DType::Q8 ? q8_scales(w, N, K) : nullptr;
  const float* pb = b ? reinterpret_cast<const float*>(b->data()) : nullptr;
  float* po = reinterpret_cast<float*>(o->data());
  const WType wt = static_cast<WType>(static_cast<int>(wdt));
  auto kernel = [=] { linear(px, M, K, pw, wt, scales, pb, po, N); };
  if (async) {
    std::vector<Storage*> pinned{x, w, o};
    if (b) pinned.push_back(b);
    return run_async(info.Env(), pinned, kernel);
  }
  run_sync(kernel);
  return info.Env().Undefined();
}

// matmul(a, b, out, batchShape, aBatchStrides, bBatchStrides, M, K, N)
//   a: f32 matrices [M, K], b: f32 matrices [K, N], out: f32 [prod(batchShape), M, N].
//   Batch strides count whole matrices (0 for a broadcast dimension).
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const char* op = "matmul";
  auto bshape = arg_ints(info, 3, op, "batchShape", 0, kMaxElems);
  auto as = arg_ints(info, 4, op, "aBatchStrides", 0, kMaxElems);
  auto bs = arg_ints(info, 5, op, "bBatchStrides", 0, kMaxElems);
  if (as.size() != bshape.size() || bs.size() != bshape.size())
    throw_range(info.Env(), "matmul: batch shape and strides differ in length");
  int64_t M = arg_int(info, 6, op, "M", 0, kMaxElems);
  int64_t K = arg_int(info, 7, op, "K", 0, kMaxElems);
  int64_t N = arg_int(info, 8, op, "N", 0, kMaxElems);
  double batches_d = 1, amax = 1, bmax = 1;  // double: see dtype_bytes
  for (size_t i = 0; i < bshape.size(); i++) {
    batches_d *= static_cast<double>(bshape[i]);
    if (bshape[i] > 0) {
      amax += static_cast<double>(bshape[i] - 1) * static_cast<double>(as[i]);
      bmax += static_cast<double>(bshape[i] - 1) * static_cast<double>(bs[i]);
    }
  }
  if (batches_d == 0) return info.Env().Undefined();
  Storage* a = arg_storage(info, 0, op, "a", 4.0 * amax * M * K);
  Storage* b = arg_storage(info, 1, op, "b", 4.0 * bmax * K * N);
  Storage* o = arg_storage(info, 2, op, "out", 4.0 * batches_d * M * N);
  const int64_t batches = static_cast<int64_t>(batches_d);
  const float* pa = reinterpret_cast<const float*>(a->data());
  const float* pb = reinterpret_cast<const float*>(b->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] {
    for (int64_t i = 0; i < batches; i++) {
      int64_t ia = 0, ib = 0, rem = i;
      for (size_t d = bshape.size(); d-- > 0;) {
        int64_t idx = rem % bshape[d];
        rem /= bshape[d];
        ia += idx * as[d];
        ib += idx * bs[d];
      }
      gemm_f32(false, false, M, N, K, 1.0f, pa + ia * M * K, K, pb + ib * K * N, N, po + i * M * N, N);
    }
  });
  return info.Env().Undefined();
}
}  // namespace

void InitLinalg(Napi::Env env, Napi::Object exports) {
  exports.Set("linear", Napi::Function::New(env, Linear));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
}

}  // namespace gptj
