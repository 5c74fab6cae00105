// Node-API bindings of the per-op kernels. Each call checks its arguments (sizes against the
// storages they point into), enqueues on the device stream and returns without waiting; shape
// and dtype rules are checked earlier by the TS dispatcher, these checks only keep bad calls from
// touching memory they do not own. Activations are f32 here, like the CPU backend.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bench.h"
#include "cublaslt.h"
#include "device.h"
#include "device_storage.h"
#include "launch.h"
#include "ops.h"

namespace gptj_cuda {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;
constexpr int64_t kMaxI32 = 2147483647;

void launched(Napi::Env env, const char* op) { check(env, cudaGetLastError(), op); }

int arg_float_dtype(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, bool allow_q8) {
  const int64_t dt = arg_int(info, i, op, what, 0, 4);
  if (dt == DT_I32 || (dt == DT_Q8 && !allow_q8))
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": unsupported " + what + " dtype code " + std::to_string(dt));
  return static_cast<int>(dt);
}

int64_t weight_bytes(int dt, int64_t rows, int64_t cols) { return dt == DT_Q8 ? q8_bytes(rows, cols) : rows * cols * elem_bytes(dt); }

// linear(x, M, K, w, wdt, bias|null, y, N): y f32 [M,N] = x f32 [M,K] . w[N,K]^T + bias
Napi::Value Linear(const Napi::CallbackInfo& info) {
  const char* op = "linear";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t M = arg_int(info, 1, op, "M", 0, kMaxDim), K = arg_int(info, 2, op, "K", 1, kMaxDim);
  const int wdt = arg_float_dtype(info, 4, op, "weight", true);
  const int64_t N = arg_int(info, 7, op, "N", 1, kMaxDim);
  const float* x = static_cast<const float*>(arg_dev(info, 0, op, "x", M * K * 4));
  const void* w = arg_dev(info, 3, op, "weight", weight_bytes(wdt, N, K));
  const float* bias = static_cast<const float*>(arg_dev(info, 5, op, "bias", N * 4, true));
  float* y = static_cast<float*>(arg_dev(info, 6, op, "y", M * N * 4));
  if (M == 0) return env.Undefined();
  const float* scales = wdt == DT_Q8 ? reinterpret_cast<const float*>(static_cast<const char*>(w) + q8_scales_offset(N, K)) : nullptr;
  if (M <= 8) {
    GemvArgs g;
    g.x = x; g.xdt = DT_F32; g.ldx = K; g.K = K; g.wdt = wdt; g.M = M;
    g.mat[0].w = w; g.mat[0].scales = scales; g.mat[0].N = N; g.mat[0].y = y; g.mat[0].bias = bias;
    g.work_floats = 16 * M * N;
    g.work = static_cast<float*>(scratch(env, g.work_floats * 4));
    gemv(g, s);
  } else if ((wdt == DT_F16 || wdt == DT_BF16) && lt_open()) {
    // Tensor-core path: x rounded to the weight dtype (f16/bf16 compute, f32 accumulate).
    const size_t xbytes = (M * K * 2 + 255) / 256 * 256;
    char* tmp = static_cast<char*>(scratch(env, xbytes + kLtWorkspaceBytes));
    cast(x, DT_F32, tmp, wdt, M * K, s);
    if (!lt_linear(tmp, w, wdt, M, N, K, y, false, tmp + xbytes, kLtWorkspaceBytes, s))
      throw Napi::Error::New(env, "linear: cuBLASLt matmul failed for M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
    if (bias) add_bias(y, bias, M, N, s);
  } else {
    GemmSimtArgs g;
    g.A = x; g.lda = K; g.B = w; g.bdt = wdt; g.bscales = scales; g.sbk = 1; g.sbn = K; g.bias = bias;
    g.C = y; g.ldc = N; g.M = M; g.N = N; g.K = K;
    gemm_simt(g, s);
  }
  launched(env, op);
  return env.Undefined();
}

// matmul(a, b, c, M, K, N, aOffsets: number[], bOffsets: number[]): per batch i,
// c[i] f32 [M,N] = a[aOffsets[i]..] f32 [M,K] . b[bOffsets[i]..] f32 [K,N]  (offsets in elements)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const char* op = "matmul";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t M = arg_int(info, 3, op, "M", 0, kMaxDim), K = arg_int(info, 4, op, "K", 0, kMaxDim),
                N = arg_int(info, 5, op, "N", 0, kMaxDim);
  const std::vector<int64_t> ao = arg_ints(info, 6, op, "aOffsets", 0, kMaxDim, 65535);
  const std::vector<int64_t> bo = arg_ints(info, 7, op, "bOffsets", 0, kMaxDim, 65535);
  if (ao.size() != bo.size()) throw Napi::RangeError::New(env, "matmul: aOffsets and bOffsets differ in length");
  const int64_t batch = static_cast<int64_t>(ao.size());
  int64_t amax = 0, bmax = 0;
  for (int64_t i = 0; i < batch; ++i) { amax = std::max(amax, ao[i]); bmax = std::max(bmax, bo[i]); }
  const float* a = static_cast<const float*>(arg_dev(info, 0, op, "a", batch ? (amax + M * K) * 4 : 0));
  const float* b = static_cast<const float*>(arg_dev(info, 1, op, "b", batch ? (bmax + K * N) * 4 : 0));
  float* c = static_cast<float*>(arg_dev(info, 2, op, "c", batch * M * N * 4));
  if (batch * M * N == 0) return env.Undefined();
  if (K == 0) {
    check(env, cudaMemsetAsync(c, 0, batch * M * N * 4, s), op);
    return env.Undefined();
  }
  int64_t* offs = static_cast<int64_t*>(scratch(env, 2 * batch * 8));
  std::vector<int64_t> host(ao);
  host.insert(host.end(), bo.begin(), bo.end());
  check(env, cudaMemcpyAsync(offs, host.data(), host.size() * 8, cudaMemcpyHostToDevice, s), op);
  GemmSimtArgs g;
  g.A = a; g.lda = K; g.aoff = offs; g.B = b; g.bdt = DT_F32; g.sbk = N; g.sbn = 1; g.boff = offs + batch;
  g.C = c; g.ldc = N; g.batch = batch; g.M = M; g.N = N; g.K = K;
  gemm_simt(g, s);
  launched(env, op);
  return env.Undefined();
}

Broadcast arg_broadcast(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t& n) {
  Broadcast b;
  const std::vector<int64_t> shape = arg_ints(info, i, op, "shape", 0, kMaxDim, 8);
  const std::vector<int64_t> sa = arg_ints(info, i + 1, op, "stridesA", 0, kMaxDim, 8);
  const std::vector<int64_t> sb = arg_ints(info, i + 2, op, "stridesB", 0, kMaxDim, 8);
  if (sa.size() != shape.size() || sb.size() != shape.size())
    throw Napi::RangeError::New(info.Env(), std::string(op) + ": shape and strides differ in length");
  b.ndim = static_cast<int>(shape.size());
  n = 1;
  for (int d = 0; d < b.ndim; ++d) { b.shape[d] = shape[d]; b.sa[d] = sa[d]; b.sb[d] = sb[d]; n *= shape[d]; }
  return b;
}

// Largest element offset + 1 a strided walk over b.shape touches through strides st.
int64_t extent(const Broadcast& b, const int64_t* st) {
  int64_t e = 0;
  for (int d = 0; d < b.ndim; ++d) { if (b.shape[d] == 0) return 0; e += (b.shape[d] - 1) * st[d]; }
  return e + 1;
}

// binary(op: 0 add | 1 mul, a, b, y, shape, stridesA, stridesB)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* op = "binary";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int bop = static_cast<int>(arg_int(info, 0, op, "op", 0, 1));
  int64_t n;
  const Broadcast b = arg_broadcast(info, 4, op, n);
  const float* a = static_cast<const float*>(arg_dev(info, 1, op, "a", extent(b, b.sa) * 4));
  const float* bb = static_cast<const float*>(arg_dev(info, 2, op, "b", extent(b, b.sb) * 4));
  float* y = static_cast<float*>(arg_dev(info, 3, op, "y", n * 4));
  binary(bop, a, bb, y, b, n, s);
  launched(env, op);
  return env.Undefined();
}

// copyStrided(src, srcOffset, dst, dstOffset, elemBytes, shape, srcStrides, dstStrides)  (offsets in elements)
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  const char* op = "copyStrided";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t eb = arg_int(info, 4, op, "elemBytes", 1, 4);
  if (eb == 3) throw Napi::RangeError::New(env, "copyStrided: elemBytes must be 1, 2 or 4");
  const int64_t so = arg_int(info, 1, op, "srcOffset", 0, kMaxDim), dof = arg_int(info, 3, op, "dstOffset", 0, kMaxDim);
  int64_t n;
  const Broadcast b = arg_broadcast(info, 5, op, n);
  const char* src = static_cast<const char*>(arg_dev(info, 0, op, "src", (so + extent(b, b.sa)) * eb));
  char* dst = static_cast<char*>(arg_dev(info, 2, op, "dst", (dof + extent(b, b.sb)) * eb));
  copy_strided(src + so * eb, dst + dof * eb, static_cast<int>(eb), b, n, s);
  launched(env, op);
  return env.Undefined();
}

// scale(x, s, y, n)
Napi::Value Scale(const Napi::CallbackInfo& info) {
  const char* op = "scale";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t n = arg_int(info, 3, op, "n", 0, kMaxDim);
  const float k = static_cast<float>(arg_num(info, 1, op, "s"));
  scale(static_cast<const float*>(arg_dev(info, 0, op, "x", n * 4)), k, static_cast<float*>(arg_dev(info, 2, op, "y", n * 4)), n, s);
  launched(env, op);
  return env.Undefined();
}

// layerNorm(x, rows, D, gamma, gdt, beta, bdt, eps, y)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  const char* op = "layerNorm";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxI32), D = arg_int(info, 2, op, "D", 1, kMaxDim);
  const int gdt = arg_float_dtype(info, 4, op, "gamma", false), bdt = arg_float_dtype(info, 6, op, "beta", false);
  const float eps = static_cast<float>(arg_num(info, 7, op, "eps"));
  const float* x = static_cast<const float*>(arg_dev(info, 0, op, "x", rows * D * 4));
  const void* g = arg_dev(info, 3, op, "gamma", D * elem_bytes(gdt));
  const void* b = arg_dev(info, 5, op, "beta", D * elem_bytes(bdt));
  void* y = arg_dev(info, 8, op, "y", rows * D * 4);
  layer_norm(x, rows, D, g, gdt, b, bdt, eps, y, DT_F32, s);
  launched(env, op);
  return env.Undefined();
}

// gelu(x, y, n, tanhApprox)
Napi::Value Gelu(const Napi::CallbackInfo& info) {
  const char* op = "gelu";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t n = arg_int(info, 2, op, "n", 0, kMaxDim);
  const bool t = arg_bool(info, 3, op, "tanhApprox");
  gelu(static_cast<const float*>(arg_dev(info, 0, op, "x", n * 4)), static_cast<float*>(arg_dev(info, 1, op, "y", n * 4)), n, t, s);
  launched(env, op);
  return env.Undefined();
}

// softmax(x, y, rows, V)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const char* op = "softmax";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t rows = arg_int(info, 2, op, "rows", 0, kMaxI32), V = arg_int(info, 3, op, "V", 1, kMaxDim);
  softmax(static_cast<const float*>(arg_dev(info, 0, op, "x", rows * V * 4)), static_cast<float*>(arg_dev(info, 1, op, "y", rows * V * 4)), rows, V, s);
  launched(env, op);
  return env.Undefined();
}

// rotary(x, pos, y, B, T, H, D, rotaryDim, interleaved, base)
Napi::Value Rotary(const Napi::CallbackInfo& info) {
  const char* op = "rotary";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t B = arg_int(info, 3, op, "B", 0, kMaxDim), T = arg_int(info, 4, op, "T", 0, kMaxDim),
                H = arg_int(info, 5, op, "H", 0, kMaxDim), D = arg_int(info, 6, op, "D", 1, kMaxDim);
  const int64_t rd = arg_int(info, 7, op, "rotaryDim", 0, D);
  if (rd % 2) throw Napi::RangeError::New(env, "rotary: rotaryDim must be even");
  const bool inter = arg_bool(info, 8, op, "interleaved");
  const float base = static_cast<float>(arg_num(info, 9, op, "base"));
  const int64_t n = B * T * H * D;
  rotary(static_cast<const float*>(arg_dev(info, 0, op, "x", n * 4)), static_cast<const int32_t*>(arg_dev(info, 1, op, "positions", B * T * 4)),
         static_cast<float*>(arg_dev(info, 2, op, "y", n * 4)), B, T, H, D, rd, inter, base, s);
  launched(env, op);
  return env.Undefined();
}

// attention(q, k, v, mask|null, B, T, H, D, Tmax, kvLength, scale, out)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  const char* op = "attention";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  AttnArgs a;
  a.B = arg_int(info, 4, op, "B", 0, 65535);
  a.T = arg_int(info, 5, op, "T", 0, kMaxI32);
  a.H = arg_int(info, 6, op, "H", 0, 65535);
  a.D = arg_int(info, 7, op, "D", 1, 8192);
  a.Tmax = arg_int(info, 8, op, "Tmax", 0, kMaxI32);
  a.kv_len = arg_int(info, 9, op, "kvLength", a.T, a.Tmax);
  a.scale = static_cast<float>(arg_num(info, 10, op, "scale"));
  a.q = static_cast<const float*>(arg_dev(info, 0, op, "q", a.B * a.T * a.H * a.D * 4));
  a.k = arg_dev(info, 1, op, "k", a.B * a.H * a.Tmax * a.D * 4);
  a.v = arg_dev(info, 2, op, "v", a.B * a.H * a.Tmax * a.D * 4);
  a.mask = static_cast<const int32_t*>(arg_dev(info, 3, op, "mask", a.B * a.kv_len * 4, true));
  a.mask_stride = a.kv_len;
  a.out = arg_dev(info, 11, op, "out", a.B * a.T * a.H * a.D * 4);
  a.kvdt = DT_F32;
  a.odt = DT_F32;
  if (a.T >= 16 && a.D <= 256) {
    attention_prefill(a, s);
  } else {
    a.work_floats = attention_decode_work_floats(a.B, a.T, a.H, a.D, a.Tmax);
    a.work = static_cast<float*>(scratch(env, a.work_floats * 4));
    attention_decode(a, s);
  }
  launched(env, op);
  return env.Undefined();
}

// embedding(table, tdt, V, D, ids, n, y): throws RangeError naming the first out-of-range position
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  const char* op = "embedding";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int tdt = arg_float_dtype(info, 1, op, "table", true);
  const int64_t V = arg_int(info, 2, op, "V", 1, kMaxI32), D = arg_int(info, 3, op, "D", 1, kMaxDim),
                n = arg_int(info, 5, op, "n", 0, kMaxI32);
  const void* table = arg_dev(info, 0, op, "table", weight_bytes(tdt, V, D));
  const int32_t* ids = static_cast<const int32_t*>(arg_dev(info, 4, op, "ids", n * 4));
  float* y = static_cast<float*>(arg_dev(info, 6, op, "y", n * D * 4));
  const float* scales = tdt == DT_Q8 ? reinterpret_cast<const float*>(static_cast<const char*>(table) + q8_scales_offset(V, D)) : nullptr;
  int* bad = static_cast<int*>(scratch(env, 4));
  check(env, cudaMemsetAsync(bad, 0, 4, s), op);
  embedding(table, tdt, scales, V, D, ids, n, y, bad, s);
  launched(env, op);
  int host_bad = 0;
  check(env, cudaMemcpyAsync(&host_bad, bad, 4, cudaMemcpyDeviceToHost, s), op);
  check(env, cudaStreamSynchronize(s), op);
  if (host_bad) {
    int32_t id = 0;
    cudaMemcpy(&id, ids + (host_bad - 1), 4, cudaMemcpyDeviceToHost);
    throw Napi::RangeError::New(env, "embedding: id " + std::to_string(id) + " at position " + std::to_string(host_bad - 1) +
                                         " is outside [0, " + std::to_string(V) + ")");
  }
  return env.Undefined();
}

// cast(x, xdt, y, ydt, n) among f32/f16/bf16
Napi::Value Cast(const Napi::CallbackInfo& info) {
  const char* op = "cast";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int xdt = arg_float_dtype(info, 1, op, "x", false), ydt = arg_float_dtype(info, 3, op, "y", false);
  const int64_t n = arg_int(info, 4, op, "n", 0, kMaxDim);
  cast(arg_dev(info, 0, op, "x", n * elem_bytes(xdt)), xdt, arg_dev(info, 2, op, "y", n * elem_bytes(ydt)), ydt, n, s);
  launched(env, op);
  return env.Undefined();
}

// quantizeQ8(x, xdt, rows, cols, q)  q: q8 storage (int8 + padded scales)
Napi::Value QuantizeQ8(const Napi::CallbackInfo& info) {
  const char* op = "quantizeQ8";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int xdt = arg_float_dtype(info, 1, op, "x", false);
  const int64_t rows = arg_int(info, 2, op, "rows", 0, kMaxI32), cols = arg_int(info, 3, op, "cols", 0, kMaxDim);
  const void* x = arg_dev(info, 0, op, "x", rows * cols * elem_bytes(xdt));
  char* q = static_cast<char*>(arg_dev(info, 4, op, "q", q8_bytes(rows, cols)));
  quantize_q8(x, xdt, rows, cols, reinterpret_cast<int8_t*>(q), reinterpret_cast<float*>(q + q8_scales_offset(rows, cols)), s);
  launched(env, op);
  return env.Undefined();
}

// dequantizeQ8(q, rows, cols, y, ydt)
Napi::Value DequantizeQ8(const Napi::CallbackInfo& info) {
  const char* op = "dequantizeQ8";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxI32), cols = arg_int(info, 2, op, "cols", 0, kMaxDim);
  const int ydt = arg_float_dtype(info, 4, op, "y", false);
  const char* q = static_cast<const char*>(arg_dev(info, 0, op, "q", q8_bytes(rows, cols)));
  void* y = arg_dev(info, 3, op, "y", rows * cols * elem_bytes(ydt));
  dequantize_q8(reinterpret_cast<const int8_t*>(q), reinterpret_cast<const float*>(q + q8_scales_offset(rows, cols)), rows, cols, y, ydt, s);
  launched(env, op);
  return env.Undefined();
}

// argmax(x, rows, V, out)
Napi::Value Argmax(const Napi::CallbackInfo& info) {
  const char* op = "argmax";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxI32), V = arg_int(info, 2, op, "V", 1, kMaxI32);
  argmax(static_cast<const float*>(arg_dev(info, 0, op, "x", rows * V * 4)), rows, V,
         static_cast<int32_t*>(arg_dev(info, 3, op, "out", rows * 4)), s);
  launched(env, op);
  return env.Undefined();
}

// topk(x, rows, V, k, values, indices)
Napi::Value Topk(const Napi::CallbackInfo& info) {
  const char* op = "topk";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t rows = arg_int(info, 1, op, "rows", 0, kMaxI32), V = arg_int(info, 2, op, "V", 1, kMaxI32);
  const int64_t k = arg_int(info, 3, op, "k", 0, V);
  topk(static_cast<const float*>(arg_dev(info, 0, op, "x", rows * V * 4)), rows, V, static_cast<int>(k),
       static_cast<float*>(arg_dev(info, 4, op, "values", rows * k * 4)),
       static_cast<int32_t*>(arg_dev(info, 5, op, "indices", rows * k * 4)), s);
  launched(env, op);
  return env.Undefined();
}

// fillRandom(storage, dtype, rows, cols, seed, amp): uniform(-amp, amp) weights made on the device
Napi::Value FillRandom(const Napi::CallbackInfo& info) {
  const char* op = "fillRandom";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int dt = arg_float_dtype(info, 1, op, "dtype", true);
  const int64_t rows = arg_int(info, 2, op, "rows", 0, kMaxDim), cols = arg_int(info, 3, op, "cols", 0, kMaxDim);
  const int64_t seed = arg_int(info, 4, op, "seed", 0, kMaxI32);
  const float amp = static_cast<float>(arg_num(info, 5, op, "amp"));
  char* p = static_cast<char*>(arg_dev(info, 0, op, "storage", weight_bytes(dt, rows, cols)));
  fill_random(p, dt, rows, cols, static_cast<uint64_t>(seed), amp, reinterpret_cast<int8_t*>(p),
              reinterpret_cast<float*>(p + q8_scales_offset(rows, cols)), s);
  launched(env, op);
  return env.Undefined();
}

// readBandwidth(storage, bytes, iters): bytes per second of a streaming read
Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  const char* op = "readBandwidth";
  Napi::Env env = info.Env();
  cudaStream_t s = require_device(env, op);
  const int64_t bytes = arg_int(info, 1, op, "bytes", 16, kMaxDim);
  const int iters = static_cast<int>(arg_int(info, 2, op, "iters", 1, 1000));
  const void* p = arg_dev(info, 0, op, "storage", bytes);
  unsigned* sink = static_cast<unsigned*>(scratch(env, 4));
  const double bw = read_bandwidth(p, bytes, iters, sink, s);
  launched(env, op);
  return Napi::Number::New(env, bw);
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  check(env, cudaStreamSynchronize(require_device(env, "synchronize")), "synchronize");
  return env.Undefined();
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("linear", Napi::Function::New(env, Linear));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("copyStrided", Napi::Function::New(env, CopyStrided));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("gelu", Napi::Function::New(env, Gelu));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("rotary", Napi::Function::New(env, Rotary));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("embedding", Napi::Function::New(env, Embedding));
  exports.Set("cast", Napi::Function::New(env, Cast));
  exports.Set("quantizeQ8", Napi::Function::New(env, QuantizeQ8));
  exports.Set("dequantizeQ8", Napi::Function::New(env, DequantizeQ8));
  exports.Set("argmax", Napi::Function::New(env, Argmax));
  exports.Set("topk", Napi::Function::New(env, Topk));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("fillRandom", Napi::Function::New(env, FillRandom));
  exports.Set("readBandwidth", Napi::Function::New(env, ReadBandwidth));
}

}  // namespace gptj_cuda
