// Node-API bindings of the per-op kernels. Each body checks its arguments (sizes against the
// storages they point into) through OpCall (op_call.h), then enqueues on the device stream and
// returns without waiting; shape and dtype rules are checked earlier by the TS dispatcher, these
// checks only keep bad calls from touching memory they do not own. Activations are f32 here, like
// the CPU backend. Argument order, as in the CPU addon: inputs, output, dims, then parameters.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bench.h"
#include "cublaslt.h"
#include "launch.h"
#include "op_call.h"
#include "ops.h"

namespace gptj_cuda {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;
constexpr int64_t kMaxI32 = 2147483647;

int64_t weight_bytes(int dt, int64_t rows, int64_t cols) {
  return dt == DT_Q8 ? q8_bytes(rows, cols) : rows * cols * elem_bytes(dt);
}
// The f32 scales of a q8 matrix [rows, cols] at p (common/dtype.h), or null for other dtypes.
const float* q8_scales_at(const void* p, int dt, int64_t rows, int64_t cols) {
  return dt == DT_Q8 ? reinterpret_cast<const float*>(static_cast<const char*>(p) + q8_scales_offset(rows, cols))
                     : nullptr;
}

// linear(x, w, wDtype, bias|null, y, M, K, N): y f32 [M,N] = x f32 [M,K] . w[N,K]^T + bias
void Linear(OpCall& c) {
  const int wdt = c.float_dtype(2, "weight", true);
  const int64_t M = c.i64(5, "M", 0, kMaxDim), K = c.i64(6, "K", 1, kMaxDim), N = c.i64(7, "N", 1, kMaxDim);
  const float* x = c.dev<const float>(0, "x", M * K * 4);
  const void* w = c.dev(1, "weight", weight_bytes(wdt, N, K));
  const float* bias = c.dev<const float>(3, "bias", N * 4, true);
  float* y = c.dev<float>(4, "y", M * N * 4);
  if (M == 0) return;
  cudaStream_t s = c.stream();
  const float* scales = q8_scales_at(w, wdt, N, K);
  if (M <= 8) {
    GemvArgs g;
    g.x = x;
    g.xdt = DT_F32;
    g.ldx = K;
    g.K = K;
    g.wdt = wdt;
    g.M = M;
    g.mat[0].w = w;
    g.mat[0].scales = scales;
    g.mat[0].N = N;
    g.mat[0].y = y;
    g.mat[0].bias = bias;
    g.work_floats = 16 * M * N;
    g.work = static_cast<float*>(scratch(c.env(), g.work_floats * 4));
    gemv(g, s);
  } else if ((wdt == DT_F16 || wdt == DT_BF16) && lt_open()) {
    // Tensor-core path: x rounded to the weight dtype (f16/bf16 compute, f32 accumulate).
    const size_t xbytes = (M * K * 2 + 255) / 256 * 256;
    char* tmp = static_cast<char*>(scratch(c.env(), xbytes + kLtWorkspaceBytes));
    cast(x, DT_F32, tmp, wdt, M * K, s);
    if (!lt_linear(tmp, w, wdt, M, N, K, y, false, tmp + xbytes, kLtWorkspaceBytes, s))
      throw Napi::Error::New(c.env(), "linear: cuBLASLt matmul failed for M=" + std::to_string(M) +
                                          " N=" + std::to_string(N) + " K=" + std::to_string(K));
    if (bias) add_bias(y, bias, M, N, s);
  } else {
    GemmSimtArgs g;
    g.A = x;
    g.lda = K;
    g.B = w;
    g.bdt = wdt;
    g.bscales = scales;
    g.sbk = 1;
    g.sbn = K;
    g.bias = bias;
    g.C = y;
    g.ldc = N;
    g.M = M;
    g.N = N;
    g.K = K;
    gemm_simt(g, s);
  }
}

// matmul(a, b, c, batchShape, aBatchStrides, bBatchStrides, M, K, N): for each batch index (row-major
// over batchShape, at most 65535 matrices), c[i] f32 [M,N] = a f32 [M,K] . b f32 [K,N], the a and b
// matrices found at sum(idx * strides) whole matrices (stride 0: broadcast), as in the CPU addon.
void Matmul(OpCall& c) {
  const std::vector<int64_t> shape = c.ints(3, "batchShape", 0, 65535, 8);
  const std::vector<int64_t> as = c.ints(4, "aBatchStrides", 0, kMaxDim, 8);
  const std::vector<int64_t> bs = c.ints(5, "bBatchStrides", 0, kMaxDim, 8);
  if (as.size() != shape.size() || bs.size() != shape.size()) c.range_error("batch shape and strides differ in length");
  const int64_t M = c.i64(6, "M", 0, kMaxDim), K = c.i64(7, "K", 0, kMaxDim), N = c.i64(8, "N", 0, kMaxDim);
  double batch_d = 1;
  for (int64_t d : shape) batch_d *= static_cast<double>(d);
  if (batch_d > 65535) c.range_error("more than 65535 matrices in the batch");
  const double lim = static_cast<double>(kMaxDim);  // products checked in double first: no int64 overflow below
  if (double(M) * K > lim || double(K) * N > lim || batch_d * M * N > lim)
    c.range_error("a matrix has more than 2^40 elements");
  const int64_t batch = static_cast<int64_t>(batch_d);
  // Element offsets of every batch's matrices, and the largest of each.
  std::vector<int64_t> offs(2 * batch);
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t amax = 0, bmax = 0;
  for (int64_t i = 0; i < batch; ++i) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      ao += idx[d] * as[d];
      bo += idx[d] * bs[d];
    }
    if (double(ao) * M * K > lim || double(bo) * K * N > lim) c.range_error("batch strides reach past 2^40 elements");
    offs[i] = ao * M * K;
    offs[batch + i] = bo * K * N;
    amax = std::max(amax, offs[i]);
    bmax = std::max(bmax, offs[batch + i]);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  const float* a = c.dev<const float>(0, "a", batch ? (amax + M * K) * 4 : 0);
  const float* b = c.dev<const float>(1, "b", batch ? (bmax + K * N) * 4 : 0);
  float* out = c.dev<float>(2, "c", batch * M * N * 4);
  if (batch * M * N == 0) return;
  cudaStream_t s = c.stream();
  if (K == 0) {
    check(c.env(), cudaMemsetAsync(out, 0, batch * M * N * 4, s), c.op());
    return;
  }
  int64_t* doffs = static_cast<int64_t*>(scratch(c.env(), 2 * batch * 8));
  check(c.env(), cudaMemcpyAsync(doffs, offs.data(), offs.size() * 8, cudaMemcpyHostToDevice, s), c.op());
  GemmSimtArgs g;
  g.A = a;
  g.lda = K;
  g.aoff = doffs;
  g.B = b;
  g.bdt = DT_F32;
  g.sbk = N;
  g.sbn = 1;
  g.boff = doffs + batch;
  g.C = out;
  g.ldc = N;
  g.batch = batch;
  g.M = M;
  g.N = N;
  g.K = K;
  gemm_simt(g, s);
}

// A shape (at most 8 dims) and two stride sets of it, from arguments i (shape), ia and ib (strides);
// n: the element count of the shape.
Broadcast arg_broadcast(const OpCall& c, size_t i, size_t ia, const char* a_name, size_t ib, const char* b_name,
                        int64_t& n) {
  Broadcast b;
  const std::vector<int64_t> shape = c.ints(i, "shape", 0, kMaxDim, 8);
  const std::vector<int64_t> sa = c.ints(ia, a_name, 0, kMaxDim, 8);
  const std::vector<int64_t> sb = c.ints(ib, b_name, 0, kMaxDim, 8);
  if (sa.size() != shape.size() || sb.size() != shape.size()) c.range_error("shape and strides differ in length");
  b.ndim = static_cast<int>(shape.size());
  n = 1;
  for (int d = 0; d < b.ndim; ++d) {
    b.shape[d] = shape[d];
    b.sa[d] = sa[d];
    b.sb[d] = sb[d];
    n *= shape[d];
  }
  return b;
}

// Largest element offset + 1 a strided walk over b.shape touches through strides st.
int64_t extent(const Broadcast& b, const int64_t* st) {
  int64_t e = 0;
  for (int d = 0; d < b.ndim; ++d) {
    if (b.shape[d] == 0) return 0;
    e += (b.shape[d] - 1) * st[d];
  }
  return e + 1;
}

// binary(op: 0 add | 1 mul, a, b, y, shape, stridesA, stridesB)
void Binary(OpCall& c) {
  const int bop = static_cast<int>(c.i64(0, "op", 0, 1));
  int64_t n;
  const Broadcast b = arg_broadcast(c, 4, 5, "stridesA", 6, "stridesB", n);
  const float* a = c.dev<const float>(1, "a", extent(b, b.sa) * 4);
  const float* bb = c.dev<const float>(2, "b", extent(b, b.sb) * 4);
  float* y = c.dev<float>(3, "y", n * 4);
  binary(bop, a, bb, y, b, n, c.stream());
}

// stridedCopy(src, dst, elemBytes, shape, srcStrides, srcOffset, dstStrides, dstOffset)  (offsets in elements)
void StridedCopy(OpCall& c) {
  const int64_t eb = c.i64(2, "elemBytes", 1, 4);
  if (eb == 3) c.range_error("elemBytes must be 1, 2 or 4");
  const int64_t so = c.i64(5, "srcOffset", 0, kMaxDim), dof = c.i64(7, "dstOffset", 0, kMaxDim);
  int64_t n;
  const Broadcast b = arg_broadcast(c, 3, 4, "srcStrides", 6, "dstStrides", n);
  const char* src = c.dev<const char>(0, "src", (so + extent(b, b.sa)) * eb);
  char* dst = c.dev<char>(1, "dst", (dof + extent(b, b.sb)) * eb);
  copy_strided(src + so * eb, dst + dof * eb, static_cast<int>(eb), b, n, c.stream());
}

// scale(x, y, n, s): y = x * s
void Scale(OpCall& c) {
  const int64_t n = c.i64(2, "n", 0, kMaxDim);
  const float k = static_cast<float>(c.num(3, "s"));
  const float* x = c.dev<const float>(0, "x", n * 4);
  float* y = c.dev<float>(1, "y", n * 4);
  scale(x, k, y, n, c.stream());
}

// layerNorm(x, gamma, gammaDtype, beta, betaDtype, y, rows, D, eps)
void LayerNorm(OpCall& c) {
  const int gdt = c.float_dtype(2, "gamma", false), bdt = c.float_dtype(4, "beta", false);
  const int64_t rows = c.i64(6, "rows", 0, kMaxI32), D = c.i64(7, "D", 1, kMaxDim);
  const float eps = static_cast<float>(c.num(8, "eps"));
  const float* x = c.dev<const float>(0, "x", rows * D * 4);
  const void* g = c.dev(1, "gamma", D * elem_bytes(gdt));
  const void* b = c.dev(3, "beta", D * elem_bytes(bdt));
  void* y = c.dev(5, "y", rows * D * 4);
  layer_norm(x, rows, D, g, gdt, b, bdt, eps, y, DT_F32, c.stream());
}

// gelu(x, y, n, tanhApprox)
void Gelu(OpCall& c) {
  const int64_t n = c.i64(2, "n", 0, kMaxDim);
  const bool t = c.flag(3, "tanhApprox");
  const float* x = c.dev<const float>(0, "x", n * 4);
  float* y = c.dev<float>(1, "y", n * 4);
  gelu(x, y, n, t, c.stream());
}

// softmax(x, y, rows, V)
void Softmax(OpCall& c) {
  const int64_t rows = c.i64(2, "rows", 0, kMaxI32), V = c.i64(3, "V", 1, kMaxDim);
  const float* x = c.dev<const float>(0, "x", rows * V * 4);
  float* y = c.dev<float>(1, "y", rows * V * 4);
  softmax(x, y, rows, V, c.stream());
}

// rotary(x, positions, y, B, T, H, D, rotaryDim, interleaved, base)
void Rotary(OpCall& c) {
  const int64_t B = c.i64(3, "B", 0, kMaxDim), T = c.i64(4, "T", 0, kMaxDim), H = c.i64(5, "H", 0, kMaxDim),
                D = c.i64(6, "D", 1, kMaxDim);
  const int64_t rd = c.i64(7, "rotaryDim", 0, D);
  if (rd % 2) c.range_error("rotaryDim must be even");
  const bool inter = c.flag(8, "interleaved");
  const float base = static_cast<float>(c.num(9, "base"));
  const int64_t n = B * T * H * D;
  const float* x = c.dev<const float>(0, "x", n * 4);
  const int32_t* pos = c.dev<const int32_t>(1, "positions", B * T * 4);
  float* y = c.dev<float>(2, "y", n * 4);
  rotary(x, pos, y, B, T, H, D, rd, inter, base, c.stream());
}

// attention(q, k, v, mask|null, out, B, T, H, D, Tmax, kvLength, scale)
//   q f32 [B,T,H,D]; k, v f32 [B,H,Tmax,D] (the first kvLength positions used); mask i32 [B, kvLength] or null
void Attention(OpCall& c) {
  AttnArgs a;
  a.B = c.i64(5, "B", 0, 65535);
  a.T = c.i64(6, "T", 0, kMaxI32);
  a.H = c.i64(7, "H", 0, 65535);
  a.D = c.i64(8, "D", 1, 8192);
  a.Tmax = c.i64(9, "Tmax", 0, kMaxI32);
  a.kv_len = c.i64(10, "kvLength", a.T, a.Tmax);
  a.scale = static_cast<float>(c.num(11, "scale"));
  a.q = c.dev<const float>(0, "q", a.B * a.T * a.H * a.D * 4);
  a.k = c.dev(1, "k", a.B * a.H * a.Tmax * a.D * 4);
  a.v = c.dev(2, "v", a.B * a.H * a.Tmax * a.D * 4);
  a.mask = c.dev<const int32_t>(3, "mask", a.B * a.kv_len * 4, true);
  a.mask_stride = a.kv_len;
  a.out = c.dev(4, "out", a.B * a.T * a.H * a.D * 4);
  a.kvdt = DT_F32;
  a.odt = DT_F32;
  cudaStream_t s = c.stream();
  if (a.T >= 16 && a.D <= 256) {
    attention_prefill(a, s);
  } else {
    a.work_floats = attention_decode_work_floats(a.B, a.T, a.H, a.D, a.Tmax);
    a.work = static_cast<float*>(scratch(c.env(), a.work_floats * 4));
    attention_decode(a, s);
  }
}

// embedding(table, tableDtype, V, D, ids, n, y): throws RangeError naming the first out-of-range position
void Embedding(OpCall& c) {
  const int tdt = c.float_dtype(1, "table", true);
  const int64_t V = c.i64(2, "V", 1, kMaxI32), D = c.i64(3, "D", 1, kMaxDim), n = c.i64(5, "n", 0, kMaxI32);
  const void* table = c.dev(0, "table", weight_bytes(tdt, V, D));
  const int32_t* ids = c.dev<const int32_t>(4, "ids", n * 4);
  float* y = c.dev<float>(6, "y", n * D * 4);
  cudaStream_t s = c.stream();
  int* bad = static_cast<int*>(scratch(c.env(), 4));
  check(c.env(), cudaMemsetAsync(bad, 0, 4, s), c.op());
  embedding(table, tdt, q8_scales_at(table, tdt, V, D), V, D, ids, n, y, bad, s);
  check(c.env(), cudaGetLastError(), c.op());
  int host_bad = 0;
  check(c.env(), cudaMemcpyAsync(&host_bad, bad, 4, cudaMemcpyDeviceToHost, s), c.op());
  check(c.env(), cudaStreamSynchronize(s), c.op());
  if (host_bad) {
    int32_t id = 0;
    cudaMemcpy(&id, ids + (host_bad - 1), 4, cudaMemcpyDeviceToHost);
    c.range_error("id " + std::to_string(id) + " at position " + std::to_string(host_bad - 1) + " is outside [0, " +
                  std::to_string(V) + ")");
  }
}

// cast(x, xDtype, y, yDtype, rows, cols) among f32/f16/bf16 (rows * cols elements; the CPU addon's order)
void Cast(OpCall& c) {
  const int xdt = c.float_dtype(1, "x", false), ydt = c.float_dtype(3, "y", false);
  const int64_t rows = c.i64(4, "rows", 0, kMaxDim), cols = c.i64(5, "cols", 0, kMaxDim);
  if (static_cast<double>(rows) * static_cast<double>(cols) > static_cast<double>(kMaxDim))
    c.range_error("rows * cols is over 2^40");
  const int64_t n = rows * cols;
  const void* x = c.dev(0, "x", n * elem_bytes(xdt));
  void* y = c.dev(2, "y", n * elem_bytes(ydt));
  cast(x, xdt, y, ydt, n, c.stream());
}

// quantizeQ8(x, xDtype, rows, cols, q)  q: q8 storage (int8 + padded scales, common/dtype.h)
void QuantizeQ8(OpCall& c) {
  const int xdt = c.float_dtype(1, "x", false);
  const int64_t rows = c.i64(2, "rows", 0, kMaxI32), cols = c.i64(3, "cols", 0, kMaxDim);
  const void* x = c.dev(0, "x", rows * cols * elem_bytes(xdt));
  char* q = c.dev<char>(4, "q", q8_bytes(rows, cols));
  quantize_q8(x, xdt, rows, cols, reinterpret_cast<int8_t*>(q),
              reinterpret_cast<float*>(q + q8_scales_offset(rows, cols)), c.stream());
}

// dequantizeQ8(q, rows, cols, y, yDtype)
void DequantizeQ8(OpCall& c) {
  const int64_t rows = c.i64(1, "rows", 0, kMaxI32), cols = c.i64(2, "cols", 0, kMaxDim);
  const int ydt = c.float_dtype(4, "y", false);
  const char* q = c.dev<const char>(0, "q", q8_bytes(rows, cols));
  void* y = c.dev(3, "y", rows * cols * elem_bytes(ydt));
  dequantize_q8(reinterpret_cast<const int8_t*>(q), q8_scales_at(q, DT_Q8, rows, cols), rows, cols, y, ydt, c.stream());
}

// argmax(x, rows, V, out)
void Argmax(OpCall& c) {
  const int64_t rows = c.i64(1, "rows", 0, kMaxI32), V = c.i64(2, "V", 1, kMaxI32);
  const float* x = c.dev<const float>(0, "x", rows * V * 4);
  int32_t* out = c.dev<int32_t>(3, "out", rows * 4);
  argmax(x, rows, V, out, c.stream());
}

// topk(x, rows, V, k, values, indices)
void Topk(OpCall& c) {
  const int64_t rows = c.i64(1, "rows", 0, kMaxI32), V = c.i64(2, "V", 1, kMaxI32);
  const int64_t k = c.i64(3, "k", 0, V);
  const float* x = c.dev<const float>(0, "x", rows * V * 4);
  float* values = c.dev<float>(4, "values", rows * k * 4);
  int32_t* indices = c.dev<int32_t>(5, "indices", rows * k * 4);
  topk(x, rows, V, static_cast<int>(k), values, indices, c.stream());
}

// fillRandom(storage, dtype, rows, cols, seed, amp): uniform(-amp, amp) weights made on the device
void FillRandom(OpCall& c) {
  const int dt = c.float_dtype(1, "storage", true);
  const int64_t rows = c.i64(2, "rows", 0, kMaxDim), cols = c.i64(3, "cols", 0, kMaxDim);
  const int64_t seed = c.i64(4, "seed", 0, kMaxI32);
  const float amp = static_cast<float>(c.num(5, "amp"));
  char* p = c.dev<char>(0, "storage", weight_bytes(dt, rows, cols));
  fill_random(p, dt, rows, cols, static_cast<uint64_t>(seed), amp, reinterpret_cast<int8_t*>(p),
              reinterpret_cast<float*>(p + q8_scales_offset(rows, cols)), c.stream());
}

// readBandwidth(storage, bytes, iters): bytes per second of a streaming read
void ReadBandwidth(OpCall& c) {
  const int64_t bytes = c.i64(1, "bytes", 16, kMaxDim);
  const int iters = static_cast<int>(c.i64(2, "iters", 1, 1000));
  const void* p = c.dev(0, "storage", bytes);
  cudaStream_t s = c.stream();
  unsigned* sink = static_cast<unsigned*>(scratch(c.env(), 4));
  c.result = Napi::Number::New(c.env(), read_bandwidth(p, bytes, iters, sink, s));
}

void Synchronize(OpCall& c) { check(c.env(), cudaStreamSynchronize(c.stream()), c.op()); }

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports) {
  bind_op(env, exports, "linear", Linear);
  bind_op(env, exports, "matmul", Matmul);
  bind_op(env, exports, "binary", Binary);
  bind_op(env, exports, "stridedCopy", StridedCopy);
  bind_op(env, exports, "scale", Scale);
  bind_op(env, exports, "layerNorm", LayerNorm);
  bind_op(env, exports, "gelu", Gelu);
  bind_op(env, exports, "softmax", Softmax);
  bind_op(env, exports, "rotary", Rotary);
  bind_op(env, exports, "attention", Attention);
  bind_op(env, exports, "embedding", Embedding);
  bind_op(env, exports, "cast", Cast);
  bind_op(env, exports, "quantizeQ8", QuantizeQ8);
  bind_op(env, exports, "dequantizeQ8", DequantizeQ8);
  bind_op(env, exports, "argmax", Argmax);
  bind_op(env, exports, "topk", Topk);
  bind_op(env, exports, "synchronize", Synchronize);
  bind_op(env, exports, "fillRandom", FillRandom);
  bind_op(env, exports, "readBandwidth", ReadBandwidth);
}

}  // namespace gptj_cuda
