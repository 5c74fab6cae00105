// Index ops: embedding gather, argmax, topk.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "async_kernel.h"
#include "op_kernels.h"

namespace gptj {

void embedding_rows(const uint8_t* table, DType dt, int64_t V, int64_t D, const int32_t* ids, int64_t n, float* out) {
  par(n, D, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++) row_to_f32(table, dt, V, D, ids[i], out + i * D);
  });
}

namespace {

// embedding(table, tableDtype, V, D, ids, n, out)
//   table: [V, D] of f32/f16/bf16/q8; ids: i32 [n]; out: f32 [n, D] = table[ids].
//   An id outside [0, V) throws a RangeError naming it and its position; nothing is written then.
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  const char* op = "embedding";
  DType dt = arg_dtype(info, 1, op, "tableDtype");
  if (dt == DType::I32) throw_type(info.Env(), "embedding: the table must be a float dtype");
  int64_t V = arg_int(info, 2, op, "V", 0, kMaxElems);
  int64_t D = arg_int(info, 3, op, "D", 0, kMaxElems);
  int64_t n = arg_int(info, 5, op, "n", 0, kMaxElems);
  Storage* t = arg_storage(info, 0, op, "table", dt == DType::Q8 ? q8_bytes_d(V, D) : dtype_bytes(dt, 1.0 * V * D));
  Storage* ids = arg_storage(info, 4, op, "ids", 4.0 * n);
  Storage* o = arg_storage(info, 6, op, "out", 4.0 * n * D);
  const int32_t* pid = reinterpret_cast<const int32_t*>(ids->data());
  for (int64_t i = 0; i < n; i++)
    if (pid[i] < 0 || pid[i] >= V)
      throw_range(info.Env(), "embedding: id " + std::to_string(pid[i]) + " at position " + std::to_string(i) +
                                  " is outside [0, " + std::to_string(V) + ")");
  const uint8_t* pt = t->data();
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] { embedding_rows(pt, dt, V, D, pid, n, po); });
  return info.Env().Undefined();
}

// argmax(x, rows, V, out): x f32 [rows, V] -> out i32 [rows]; first index of the maximum
// (NaN never wins).
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  const char* op = "argmax";
  int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxElems);
  int64_t V = arg_int(info, 2, op, "V", 1, kMaxElems);
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * rows * V);
  Storage* o = arg_storage(info, 3, op, "out", 4.0 * rows);
  const float* px = reinterpret_cast<const float*>(x->data());
  int32_t* po = reinterpret_cast<int32_t*>(o->data());
  run_sync([&] {
    par(rows, V, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; r++) {
        const float* xr = px + r * V;
        int64_t best = 0;
        for (int64_t i = 1; i < V; i++)
          if (xr[i] > xr[best] || (xr[best] != xr[best] && xr[i] == xr[i])) best = i;
        po[r] = static_cast<int32_t>(best);
      }
    });
  });
  return info.Env().Undefined();
}

// topk(x, rows, V, k, values, indices): x f32 [rows, V] -> values f32 [rows, k], indices i32 [rows, k],
// sorted by value descending, ties by lower index first; NaN ranks below every number.
Napi::Value Topk(const Napi::CallbackInfo& info) {
  const char* op = "topk";
  int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxElems);
  int64_t V = arg_int(info, 2, op, "V", 1, kMaxElems);
  int64_t k = arg_int(info, 3, op, "k", 0, V);
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * rows * V);
  Storage* ov = arg_storage(info, 4, op, "values", 4.0 * rows * k);
  Storage* oi = arg_storage(info, 5, op, "indices", 4.0 * rows * k);
  const float* px = reinterpret_cast<const float*>(x->data());
  float* pv = reinterpret_cast<float*>(ov->data());
  int32_t* pi = reinterpret_cast<int32_t*>(oi->data());
  run_sync([&] {
    par(rows, 4 * V, [&](int64_t r0, int64_t r1) {
      std::vector<int32_t> idx(static_cast<size_t>(V));
      for (int64_t r = r0; r < r1; r++) {
        const float* xr = px + r * V;
        std::iota(idx.begin(), idx.end(), 0);
        auto before = [xr](int32_t a, int32_t b) {
          float va = xr[a], vb = xr[b];
          bool na = va != va, nb = vb != vb;
          if (na != nb) return nb;  // numbers before NaN
          if (!na && va != vb) return va > vb;
          return a < b;
        };
        std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), before);
        for (int64_t j = 0; j < k; j++) {
          pi[r * k + j] = idx[j];
          pv[r * k + j] = xr[idx[j]];
        }
      }
    });
  });
  return info.Env().Undefined();
}
}  // namespace

void InitIndex(Napi::Env env, Napi::Object exports) {
  exports.Set("embedding", Napi::Function::New(env, Embedding));
  exports.Set("argmax", Napi::Function::New(env, Argmax));
  exports.Set("topk", Napi::Function::New(env, Topk));
}

}  // namespace gptj
