// GPT-J runner: weights (GPTJRunner) and per-batch state (GPTJSession). One forward call enqueues
// the whole model; decode steps (T == 1) are captured once into a CUDA graph and replayed, with the
// changing inputs (token ids, positions, kv lengths, new mask column) copied into fixed device
// buffers before the replay. The main thread only enqueues: the result lands in pinned memory and a
// libuv worker waits for it (StepWait), so the step's GPU time never blocks the event loop.
// See gptj_runner.h for the JS surface and the numerics.
#include "gptj_runner.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/step.h"
#include "common/type_tags.h"
#include "cublaslt.h"
#include "device.h"
#include "device_storage.h"
#include "launch.h"

namespace gptj_cuda {
namespace {

constexpr int64_t kMaxGemvRows = 8;     // rows per GEMV pass; above this use cuBLASLt
constexpr int64_t kMaxGemvRowsQ8 = 32;  // q8: GEMV passes re-read int8 weights; above this dequantize + GEMM

struct Matrix {  // a weight matrix [N, K] of the runner's weight dtype
  const void* w = nullptr;
  const float* scales = nullptr;  // q8 only
};

struct Layer {
  const void* ln_g = nullptr;
  const void* ln_b = nullptr;
  Matrix q, k, v, o, fc_in, fc_out;
  const float* fc_in_b = nullptr;
  const float* fc_out_b = nullptr;
};

class GPTJRunner : public Napi::ObjectWrap<GPTJRunner> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "GPTJRunner", {InstanceMethod<&GPTJRunner::Dispose>("dispose")});
  }
  explicit GPTJRunner(const Napi::CallbackInfo& info);

  // Throws if any weight storage was freed (or the runner disposed) since construction.
  void check_live(Napi::Env env) const {
    if (disposed_) throw Napi::Error::New(env, "GPTJRunner: disposed");
    for (DeviceStorage* s : storages_) s->check_live(env, "GPTJRunner", "a weight tensor");
  }

  int64_t vocab = 0, d = 0, n_layer = 0, n_head = 0, head_dim = 0, inner = 0, rotary_dim = 0;
  float eps = 1e-5f, rope_base = 10000.f;
  int wdt = DT_F16, act = DT_F16, ln_dt = DT_F32, wte_dt = DT_F16;
  const void* wte = nullptr;
  const float* wte_scales = nullptr;
  const void* lnf_g = nullptr;
  const void* lnf_b = nullptr;
  Matrix lm_head;
  const float* lm_b = nullptr;
  std::vector<Layer> layers;

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    disposed_ = true;
    storages_.clear();
    weights_ref_.Reset();
    return info.Env().Undefined();
  }
  const void* take(Napi::Env env, Napi::Object o, const char* key, int64_t bytes);
  Matrix take_matrix(Napi::Env env, Napi::Object o, const char* key, int64_t N, int64_t K);

  std::vector<DeviceStorage*> storages_;
  Napi::ObjectReference weights_ref_;  // keeps the weight storages alive
  bool disposed_ = false;
};

int64_t num_field(Napi::Env env, Napi::Object o, const char* key, int64_t lo, int64_t hi) {
  Napi::Value v = o.Get(key);
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi)) ||
      x != static_cast<double>(static_cast<int64_t>(x)))
    throw Napi::RangeError::New(env, std::string("GPTJRunner: config.") + key + " must be an integer in [" +
                                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(x);
}

const void* GPTJRunner::take(Napi::Env env, Napi::Object o, const char* key, int64_t bytes) {
  DeviceStorage* s = gptj::as_tagged<DeviceStorage>(env, o.Get(key), gptj::kDeviceStorageTag, "GPTJRunner",
                                                    std::string("weights.") + key, "a DeviceStorage");
  s->check_live(env, "GPTJRunner", key);
  if (s->bytes() < bytes)
    throw Napi::RangeError::New(env, std::string("GPTJRunner: weights.") + key + " holds " +
                                         std::to_string(s->bytes()) + " bytes, needs " + std::to_string(bytes));
  storages_.push_back(s);
  return s->data();
}

Matrix GPTJRunner::take_matrix(Napi::Env env, Napi::Object o, const char* key, int64_t N, int64_t K) {
  Matrix m;
  if (wdt == DT_Q8) {
    m.w = take(env, o, key, q8_bytes(N, K));
    m.scales = reinterpret_cast<const float*>(static_cast<const char*>(m.w) + q8_scales_offset(N, K));
  } else {
    m.w = take(env, o, key, N * K * 2);
  }
  return m;
}

// config: { vocabSize, nEmbd, nLayer, nHead, nInner, rotaryDim, layerNormEpsilon, weightDtype, lnDtype, wteDtype, ropeBase? }
// weights: { wte, lnfGamma, lnfBeta, lmHead, lmHeadBias (f32),
//            layers: [{ lnGamma, lnBeta, q, k, v, out, fcIn, fcInBias (f32), fcOut, fcOutBias (f32) }] }
// Matrices are [out, in] like nn.Linear.weight, all of weightDtype (f16/bf16/q8).
// Everything is checked before the device is asked for (nothing here touches it): a wrong call is a
// TypeError/RangeError on any machine.
GPTJRunner::GPTJRunner(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GPTJRunner>(info) {
  Napi::Env env = info.Env();
  info.This().As<Napi::Object>().TypeTag(&gptj::kCudaRunnerTag);
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "GPTJRunner: expected (config, weights) objects");
  Napi::Object c = info[0].As<Napi::Object>(), w = info[1].As<Napi::Object>();
  vocab = num_field(env, c, "vocabSize", 1, 1 << 24);
  d = num_field(env, c, "nEmbd", 1, 1 << 16);
  n_layer = num_field(env, c, "nLayer", 1, 1024);
  n_head = num_field(env, c, "nHead", 1, d);
  inner = num_field(env, c, "nInner", 1, 1 << 20);
  if (d % n_head) throw Napi::RangeError::New(env, "GPTJRunner: nEmbd must be a multiple of nHead");
  head_dim = d / n_head;
  if (head_dim > 256 || head_dim % 2) throw Napi::RangeError::New(env, "GPTJRunner: head dim must be even and <= 256");
  rotary_dim = num_field(env, c, "rotaryDim", 0, head_dim);
  if (rotary_dim % 2) throw Napi::RangeError::New(env, "GPTJRunner: rotaryDim must be even");
  wdt = static_cast<int>(num_field(env, c, "weightDtype", DT_F16, DT_Q8));
  ln_dt = static_cast<int>(num_field(env, c, "lnDtype", DT_F32, DT_BF16));
  wte_dt = static_cast<int>(num_field(env, c, "wteDtype", DT_F32, DT_Q8));
  const Napi::Value e = c.Get("layerNormEpsilon");
  if (!e.IsNumber()) throw Napi::TypeError::New(env, "GPTJRunner: config.layerNormEpsilon must be a number");
  eps = e.As<Napi::Number>().FloatValue();
  const Napi::Value rb = c.Get("ropeBase");
  if (rb.IsNumber()) rope_base = rb.As<Napi::Number>().FloatValue();
  act = wdt == DT_BF16 ? DT_BF16 : DT_F16;

  const int64_t lnb = d * elem_bytes(ln_dt);
  wte = take(env, w, "wte", wte_dt == DT_Q8 ? q8_bytes(vocab, d) : vocab * d * elem_bytes(wte_dt));
  if (wte_dt == DT_Q8)
    wte_scales = reinterpret_cast<const float*>(static_cast<const char*>(wte) + q8_scales_offset(vocab, d));
  lnf_g = take(env, w, "lnfGamma", lnb);
  lnf_b = take(env, w, "lnfBeta", lnb);
  lm_head = take_matrix(env, w, "lmHead", vocab, d);
  lm_b = static_cast<const float*>(take(env, w, "lmHeadBias", vocab * 4));
  Napi::Value lv = w.Get("layers");
  if (!lv.IsArray() || lv.As<Napi::Array>().Length() != static_cast<uint32_t>(n_layer))
    throw Napi::TypeError::New(env, "GPTJRunner: weights.layers must be an array of nLayer entries");
  Napi::Array la = lv.As<Napi::Array>();
  for (int64_t l = 0; l < n_layer; ++l) {
    Napi::Value ov = la.Get(static_cast<uint32_t>(l));
    if (!ov.IsObject())
      throw Napi::TypeError::New(env, "GPTJRunner: weights.layers[" + std::to_string(l) + "] must be an object");
    Napi::Object o = ov.As<Napi::Object>();
    Layer L;
    L.ln_g = take(env, o, "lnGamma", lnb);
    L.ln_b = take(env, o, "lnBeta", lnb);
    L.q = take_matrix(env, o, "q", d, d);
    L.k = take_matrix(env, o, "k", d, d);
    L.v = take_matrix(env, o, "v", d, d);
    L.o = take_matrix(env, o, "out", d, d);
    L.fc_in = take_matrix(env, o, "fcIn", inner, d);
    L.fc_in_b = static_cast<const float*>(take(env, o, "fcInBias", inner * 4));
    L.fc_out = take_matrix(env, o, "fcOut", d, inner);
    L.fc_out_b = static_cast<const float*>(take(env, o, "fcOutBias", d * 4));
    layers.push_back(L);
  }
  weights_ref_ = Napi::Persistent(w);
  require_device(env, "GPTJRunner");
}

// Device allocations of a session, freed together; reported to V8 as external memory.
class Arena {
 public:
  ~Arena() { release(nullptr); }
  void* alloc(Napi::Env env, size_t bytes) {
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, std::max<size_t>(bytes, 256));
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw Napi::RangeError::New(
          env, "GPTJSession: cannot allocate " + std::to_string(bytes) + " bytes on the GPU: " + cuda_error_string(e));
    }
    ptrs_.push_back(p);
    bytes_ += bytes;
    Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
    return p;
  }
  void* alloc_host(Napi::Env env, size_t bytes) {
    void* p = nullptr;
    check(env, cudaMallocHost(&p, std::max<size_t>(bytes, 64)), "GPTJSession");
    host_.push_back(p);
    return p;
  }
  void release(Napi::Env* env) {
    for (void* p : ptrs_) cudaFree(p);
    for (void* p : host_) cudaFreeHost(p);
    if (env && bytes_) Napi::MemoryManagement::AdjustExternalMemory(*env, -static_cast<int64_t>(bytes_));
    ptrs_.clear();
    host_.clear();
    bytes_ = 0;
  }

 private:
  std::vector<void*> ptrs_, host_;
  size_t bytes_ = 0;
};

// One forward step as validated on the JS thread: the call's arrays (valid during the call) and what
// the step will add to the session once it succeeds.
struct CudaStep {
  int64_t T = 0;
  const int32_t* ids = nullptr;    // [B*T]
  const int32_t* mask = nullptr;   // [B*T] or null (all real)
  std::vector<int32_t> positions;  // [B*T]
  std::vector<int64_t> seen;       // per row, real tokens after the step
  bool want_ids = false;           // out is Int32Array [B] (argmax) rather than Float32Array [B*V]
  bool hidden = false;             // forwardHidden: out is the final states f32 [B*T*D], no lm_head
  size_t out_bytes = 0;
};

class GPTJSession : public Napi::ObjectWrap<GPTJSession> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "GPTJSession",
        {InstanceMethod<&GPTJSession::Forward>("forward"), InstanceMethod<&GPTJSession::ForwardHidden>("forwardHidden"),
         InstanceMethod<&GPTJSession::Reorder>("reorder"), InstanceMethod<&GPTJSession::Dispose>("dispose"),
         InstanceAccessor<&GPTJSession::Length>("length")});
  }
  explicit GPTJSession(const Napi::CallbackInfo& info);
  ~GPTJSession() override {
    drop_graph();
    if (done_) cudaEventDestroy(done_);
  }
  // StepWait, on the main thread once the step's work is done: the result is in hresult_.
  void step_done(Napi::Env env, void* out, size_t bytes) {
    if (out) std::memcpy(out, hresult_, bytes);
    busy_ = false;
    if (disposed_) release(env);
  }

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info) { return step(info, "GPTJSession.forward", false); }
  Napi::Value ForwardHidden(const Napi::CallbackInfo& info) { return step(info, "GPTJSession.forwardHidden", true); }
  Napi::Value step(const Napi::CallbackInfo& info, const char* op, bool hidden);
  Napi::Value Reorder(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(length_));
  }

  // A step in four parts, as the CPU session: validate checks everything and changes nothing;
  // stage writes this step's inputs to pinned memory and to device buffers past the committed
  // length (the next step overwrites them if this one fails); launch enqueues the model and the
  // result copy; commit advances the counters, host mask and length. Only commit changes what the
  // session holds, so a step that throws before it leaves the session as it was.
  CudaStep validate(const Napi::CallbackInfo& info, const char* op, bool hidden);
  void stage(Napi::Env env, const CudaStep& st, cudaStream_t s, const char* op);
  void launch(Napi::Env env, const CudaStep& st, cudaStream_t s, const char* op);
  void commit(const CudaStep& st);
  void ensure_rows(Napi::Env env, int64_t rows);
  void ensure_dequant(Napi::Env env);
  void ensure_states_host(Napi::Env env);
  void enqueue(int64_t T, bool hidden, cudaStream_t s);
  // The final states f32 [rows, D] of a hidden step: q_, free once the last layer's rotary has read it.
  float* states() const { return q_; }
  GemvArgs gemv_args(const void* x, int64_t rows, int64_t K) const;
  bool use_gemv(int64_t rows) const;
  void project_in(int64_t rows, const Layer& L, cudaStream_t s);
  void project_out(int64_t rows, const Layer& L, cudaStream_t s);
  void linear(const void* x, int64_t rows, int64_t K, const Matrix& W, int64_t N, const float* bias, void* y, int epi,
              cudaStream_t s);
  void* kcache(int64_t l) const { return static_cast<char*>(kv_) + (2 * l) * kv_layer_bytes_; }
  void* vcache(int64_t l) const { return static_cast<char*>(kv_) + (2 * l + 1) * kv_layer_bytes_; }
  void drop_graph() {
    if (graph_) cudaGraphExecDestroy(graph_);
    graph_ = nullptr;
  }
  void release(Napi::Env env) {
    cudaStreamSynchronize(device().stream);
    drop_graph();
    rows_arena_.release(&env);
    fixed_.release(&env);
    runner_ref_.Reset();
  }
  void refuse_if_busy(Napi::Env env, const char* op) const {
    if (busy_) throw Napi::Error::New(env, std::string(op) + ": a forward step is still running; await it first");
  }

  GPTJRunner* r_ = nullptr;
  Napi::ObjectReference runner_ref_;
  Arena fixed_, rows_arena_;
  int64_t B_ = 0, Tmax_ = 0, length_ = 0;
  bool disposed_ = false;
  bool busy_ = false;              // a step's StepWait has not settled yet
  cudaEvent_t done_ = nullptr;     // recorded after each step's result copy
  void* hout_ = nullptr;           // pinned: the step's result, B*V f32 logits or B i32 argmax ids
  void* hstates_ = nullptr;        // pinned, on the first hidden step: cap_*D f32 final states
  const void* hresult_ = nullptr;  // hout_ or hstates_: where the last launched step's result lands
  // KV cache: per layer K then V, each act [B, H, Tmax, head_dim]
  void* kv_ = nullptr;
  size_t kv_layer_bytes_ = 0;
  int32_t* dmask_ = nullptr;         // [B, Tmax] 1 keep / 0 pad
  std::vector<int32_t> hmask_;       // host copy of dmask_ (the first length_ columns are committed)
  std::vector<int64_t> real_count_;  // real tokens seen per row (for position ids)
  void* reorder_tmp_ = nullptr;      // one layer's K (or V), allocated on the first reorder
  int32_t* dlens_ = nullptr;         // [0] kv length before the step, [1] after
  int32_t* hstage_ = nullptr;        // pinned: ids [cap], positions [cap], lens [2], new mask cols [cap]
  int32_t* dargmax_ = nullptr;       // [B]
  float* logits_ = nullptr;          // [B, V]
  int* dbad_ = nullptr;
  float* gemv_work_ = nullptr;
  int64_t gemv_work_floats_ = 0;
  float* attn_work_ = nullptr;
  int64_t attn_work_floats_ = 0;
  void* lt_ws_ = nullptr;
  void* dequant_ = nullptr;  // f16 [max N*K] for q8 prefill through cuBLASLt
  // Per-row activations, capacity cap_ rows (grown by prefill).
  int64_t cap_ = 0;
  int32_t *ids_ = nullptr, *pos_ = nullptr;
  float *resid_ = nullptr, *q_ = nullptr, *k_ = nullptr, *v_ = nullptr, *qrot_ = nullptr, *h_ = nullptr;
  void *ln_ = nullptr, *attn_ = nullptr, *g_ = nullptr, *last_ = nullptr;
  cudaGraphExec_t graph_ = nullptr;
  bool graph_warm_ = false;  // one uncaptured decode step ran with the current buffers (plans, attributes)
  bool use_graph_ = std::getenv("GPTJ_NO_CUDA_GRAPH") == nullptr;
};

// new GPTJSession(runner, batchSize, maxLength)
GPTJSession::GPTJSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<GPTJSession>(info) {
  Napi::Env env = info.Env();
  r_ = gptj::as_tagged<GPTJRunner>(env, info.Length() > 0 ? info[0] : env.Undefined(), gptj::kCudaRunnerTag,
                                   "GPTJSession", "runner", "a GPTJRunner");
  r_->check_live(env);
  B_ = arg_int(info, 1, "GPTJSession", "batchSize", 1, 4096);
  Tmax_ = arg_int(info, 2, "GPTJSession", "maxLength", 1, 1 << 20);
  require_device(env, "GPTJSession");
  runner_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
  const int64_t H = r_->n_head, Dh = r_->head_dim;
  kv_layer_bytes_ = static_cast<size_t>(B_ * H * Tmax_ * Dh * 2);
  kv_ = fixed_.alloc(env, kv_layer_bytes_ * 2 * r_->n_layer);
  dmask_ = static_cast<int32_t*>(fixed_.alloc(env, B_ * Tmax_ * 4));
  hmask_.assign(B_ * Tmax_, 0);
  real_count_.assign(B_, 0);
  dlens_ = static_cast<int32_t*>(fixed_.alloc(env, 8));
  dargmax_ = static_cast<int32_t*>(fixed_.alloc(env, B_ * 4));
  logits_ = static_cast<float*>(fixed_.alloc(env, B_ * r_->vocab * 4));
  dbad_ = static_cast<int*>(fixed_.alloc(env, 4));
  gemv_work_floats_ = int64_t(16) * kMaxGemvRows * 2 * sm_count() * 8;
  gemv_work_ = static_cast<float*>(fixed_.alloc(env, gemv_work_floats_ * 4));
  attn_work_floats_ = attention_decode_work_floats(B_, 1, H, Dh, Tmax_);
  attn_work_ = static_cast<float*>(fixed_.alloc(env, attn_work_floats_ * 4));
  lt_ws_ = fixed_.alloc(env, kLtWorkspaceBytes);
  hout_ = fixed_.alloc_host(env, B_ * r_->vocab * 4);
  check(env, cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "GPTJSession");
  cudaStream_t s = device().stream;
  check(env, cudaMemsetAsync(dmask_, 0, B_ * Tmax_ * 4, s), "GPTJSession");
  check(env, cudaMemsetAsync(dbad_, 0, 4, s), "GPTJSession");
}

void GPTJSession::ensure_rows(Napi::Env env, int64_t rows) {
  if (rows <= cap_) return;
  check(env, cudaStreamSynchronize(device().stream), "GPTJSession");
  drop_graph();
  graph_warm_ = false;
  rows_arena_.release(&env);
  hstates_ = nullptr;
  const int64_t D = r_->d, I = r_->inner;
  cap_ = rows;
  ids_ = static_cast<int32_t*>(rows_arena_.alloc(env, rows * 4));
  pos_ = static_cast<int32_t*>(rows_arena_.alloc(env, rows * 4));
  hstage_ = static_cast<int32_t*>(rows_arena_.alloc_host(env, (3 * rows + 2) * 4));
  resid_ = static_cast<float*>(rows_arena_.alloc(env, rows * D * 4));
  q_ = static_cast<float*>(rows_arena_.alloc(env, rows * D * 4));
  k_ = static_cast<float*>(rows_arena_.alloc(env, rows * D * 4));
  v_ = static_cast<float*>(rows_arena_.alloc(env, rows * D * 4));
  qrot_ = static_cast<float*>(rows_arena_.alloc(env, rows * D * 4));
  ln_ = rows_arena_.alloc(env, rows * D * 2);
  attn_ = rows_arena_.alloc(env, rows * D * 2);
  g_ = rows_arena_.alloc(env, rows * I * 2);
  last_ = rows_arena_.alloc(env, B_ * D * 2);
  // f32 GEMM output before bias + gelu; only the cuBLASLt path (rows above the GEMV limit) uses it.
  h_ = rows > kMaxGemvRows ? static_cast<float*>(rows_arena_.alloc(env, rows * I * 4)) : nullptr;
}

void GPTJSession::ensure_dequant(Napi::Env env) {
  if (dequant_) return;
  const int64_t D = r_->d;
  const int64_t biggest = std::max({D * D, r_->inner * D, r_->vocab * D});
  dequant_ = fixed_.alloc(env, biggest * 2);
}

void GPTJSession::ensure_states_host(Napi::Env env) {
  if (!hstates_) hstates_ = rows_arena_.alloc_host(env, cap_ * r_->d * 4);
}

// GEMV launch arguments for x act [rows, K] and the session's split-K workspace; add matrices with
// add_mat().
GemvArgs GPTJSession::gemv_args(const void* x, int64_t rows, int64_t K) const {
  GemvArgs g;
  g.x = x;
  g.xdt = r_->act;
  g.ldx = K;
  g.K = K;
  g.wdt = r_->wdt;
  g.M = rows;
  g.nmat = 0;
  g.work = gemv_work_;
  g.work_floats = gemv_work_floats_;
  return g;
}

void add_mat(GemvArgs& g, const Matrix& W, int64_t N, void* y, int epi, const float* bias = nullptr) {
  GemvMat& m = g.mat[g.nmat++];
  m.w = W.w;
  m.scales = W.scales;
  m.N = N;
  m.y = y;
  m.epilogue = epi;
  m.bias = bias;
}

// Decode-sized row counts go through GEMV launches (weights streamed once per 8 rows), larger ones
// through cuBLASLt (q8 weights dequantized to f16 first).
bool GPTJSession::use_gemv(int64_t rows) const {
  const int wdt = r_->wdt;
  return rows <= (wdt == DT_Q8 ? kMaxGemvRowsQ8 : kMaxGemvRows) || !lt_open() || (wdt == DT_Q8 && !dequant_);
}

// y = x . W^T (+ bias) with the epilogue `epi`; x act [rows, K] contiguous.
void GPTJSession::linear(const void* x, int64_t rows, int64_t K, const Matrix& W, int64_t N, const float* bias, void* y,
                         int epi, cudaStream_t s) {
  GemvArgs g = gemv_args(x, rows, K);
  add_mat(g, W, N, y, epi, bias);
  if (use_gemv(rows)) {
    gemv(g, s);
    return;
  }
  const void* w = W.w;
  int dt = r_->wdt;
  if (dt == DT_Q8) {
    dequantize_q8(static_cast<const int8_t*>(W.w), W.scales, N, K, dequant_, DT_F16, s);
    w = dequant_;
    dt = DT_F16;
  }
  float* out = epi == EPI_GELU_X ? h_ : static_cast<float*>(y);
  if (!lt_linear(x, w, dt, rows, N, K, out, epi == EPI_ADD_F32, lt_ws_, kLtWorkspaceBytes, s)) {
    gemv(g, s);  // cuBLASLt refused this shape: GEMV passes (correct, slower)
    return;
  }
  if (epi == EPI_GELU_X)
    bias_gelu(h_, bias, y, r_->act, rows, N, s);
  else if (bias)
    add_bias(static_cast<float*>(y), bias, rows, N, s);
}

// The matrices that read the layer-norm output: q_, k_, v_ f32 [rows, D] and g_ act [rows, inner] =
// gelu(ln_ . Wfc_in^T + b). Decode: one GEMV launch over all four.
void GPTJSession::project_in(int64_t rows, const Layer& L, cudaStream_t s) {
  const int64_t D = r_->d, I = r_->inner;
  if (!use_gemv(rows)) {
    linear(ln_, rows, D, L.q, D, nullptr, q_, EPI_STORE_F32, s);
    linear(ln_, rows, D, L.k, D, nullptr, k_, EPI_STORE_F32, s);
    linear(ln_, rows, D, L.v, D, nullptr, v_, EPI_STORE_F32, s);
    linear(ln_, rows, D, L.fc_in, I, L.fc_in_b, g_, EPI_GELU_X, s);
    return;
  }
  GemvArgs g = gemv_args(ln_, rows, D);
  add_mat(g, L.q, D, q_, EPI_STORE_F32);
  add_mat(g, L.k, D, k_, EPI_STORE_F32);
  add_mat(g, L.v, D, v_, EPI_STORE_F32);
  add_mat(g, L.fc_in, I, g_, EPI_GELU_X, L.fc_in_b);
  gemv(g, s);
}

// Both branches into the residual: resid_ += attn_ . Wo^T + g_ . Wfc_out^T + b. Decode: one GEMV
// launch that sums the two terms per output row.
void GPTJSession::project_out(int64_t rows, const Layer& L, cudaStream_t s) {
  const int64_t D = r_->d, I = r_->inner;
  if (!use_gemv(rows)) {
    linear(attn_, rows, D, L.o, D, nullptr, resid_, EPI_ADD_F32, s);
    linear(g_, rows, I, L.fc_out, D, L.fc_out_b, resid_, EPI_ADD_F32, s);
    return;
  }
  GemvArgs g = gemv_args(attn_, rows, D);
  add_mat(g, L.o, D, resid_, EPI_ADD_F32, L.fc_out_b);
  g.x2 = g_;
  g.ldx2 = I;
  g.K2 = I;
  g.w2 = L.fc_out.w;
  g.scales2 = L.fc_out.scales;
  gemv(g, s);
}

// The whole model for B rows of T new tokens (ids_, pos_, dlens_, dmask_ already on the device): the
// last position's logits (and their argmax), or with `hidden` the final states of every position.
void GPTJSession::enqueue(int64_t T, bool hidden, cudaStream_t s) {
  const GPTJRunner& r = *r_;
  const int64_t R = B_ * T, D = r.d, H = r.n_head, Dh = r.head_dim;
  embedding(r.wte, r.wte_dt, r.wte_scales, r.vocab, D, ids_, R, resid_, dbad_, s);
  for (int64_t l = 0; l < r.n_layer; ++l) {
    const Layer& L = r.layers[l];
    // Parallel residual: x += attn(ln(x)) + mlp(ln(x)), both branches read the same ln output.
    layer_norm(resid_, R, D, L.ln_g, r.ln_dt, L.ln_b, r.ln_dt, r.eps, ln_, r.act, s);
    project_in(R, L, s);
    rotary_kv_append(q_, k_, v_, pos_, dlens_, qrot_, kcache(l), vcache(l), r.act, B_, T, H, Dh, Tmax_, r.rotary_dim,
                     r.rope_base, s);
    AttnArgs a;
    a.q = qrot_;
    a.k = kcache(l);
    a.v = vcache(l);
    a.kvdt = r.act;
    a.mask = dmask_;
    a.mask_stride = Tmax_;
    a.B = B_;
    a.T = T;
    a.H = H;
    a.D = Dh;
    a.Tmax = Tmax_;
    a.scale = 1.f / sqrtf(static_cast<float>(Dh));
    a.out = attn_;
    a.odt = r.act;
    if (T == 1) {
      a.kv_len_dev = dlens_ + 1;
      a.work = attn_work_;
      a.work_floats = attn_work_floats_;
      attention_decode(a, s);
    } else {
      a.kv_len = length_ + T;
      if (!attention_prefill_tc(a, s)) attention_prefill(a, s);
    }
    project_out(R, L, s);
  }
  if (hidden) {  // f32 straight from the f32 residual: no f16 rounding of the states returned
    layer_norm(resid_, R, D, r.lnf_g, r.ln_dt, r.lnf_b, r.ln_dt, r.eps, states(), DT_F32, s);
    return;
  }
  layer_norm(resid_, R, D, r.lnf_g, r.ln_dt, r.lnf_b, r.ln_dt, r.eps, ln_, r.act, s);
  const void* x = ln_;
  if (T > 1) {  // gather the last position of each row: [B, D] <- rows b*T + T-1
    Broadcast c;
    c.ndim = 2;
    c.shape[0] = B_;
    c.shape[1] = D;
    c.sa[0] = T * D;
    c.sa[1] = 1;
    c.sb[0] = D;
    c.sb[1] = 1;
    copy_strided(static_cast<const char*>(ln_) + (T - 1) * D * 2, last_, 2, c, B_ * D, s);
    x = last_;
  }
  linear(x, B_, D, r.lm_head, r.vocab, r.lm_b, logits_, EPI_STORE_F32, s);
  argmax(logits_, B_, r.vocab, dargmax_, s);
}

// Waits on a libuv worker for a step's `done` event, then (main thread) copies the pinned result
// into the caller's typed array and settles the promise.
class StepWait : public Napi::AsyncWorker {
 public:
  StepWait(Napi::Env env, const char* op, Napi::Object session, GPTJSession* s, cudaEvent_t done, Napi::TypedArray out,
           size_t bytes)
      : Napi::AsyncWorker(env, "gptj:cuda-step"),
        op_(op),
        deferred_(Napi::Promise::Deferred::New(env)),
        session_ref_(Napi::Persistent(session)),
        out_ref_(Napi::Persistent(out)),
        s_(s),
        done_(done),
        bytes_(bytes) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const cudaError_t e = cudaEventSynchronize(done_);
    if (e != cudaSuccess) SetError(std::string(op_) + ": " + cuda_error_string(e));
  }
  void OnOK() override {
    Napi::TypedArray out = out_ref_.Value();
    if (out.ByteLength() < bytes_) {  // its buffer was detached (transferred) while the step ran
      s_->step_done(Env(), nullptr, 0);
      deferred_.Reject(Napi::TypeError::New(Env(), std::string(op_) + ": out was detached during the step").Value());
      return;
    }
    s_->step_done(Env(), static_cast<char*>(out.ArrayBuffer().Data()) + out.ByteOffset(), bytes_);
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    s_->step_done(Env(), nullptr, 0);
    deferred_.Reject(e.Value());
  }

 private:
  const char* op_;  // a string literal
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference session_ref_;  // keeps the session (and its pinned hout_) alive
  Napi::Reference<Napi::TypedArray> out_ref_;
  GPTJSession* s_;
  cudaEvent_t done_;
  size_t bytes_;
};

// forward(ids: Int32Array [B*T], T, mask: Int32Array [B*T] | null, out: Float32Array [B*V] | Int32Array [B])
//   -> Promise<void>, settled once `out` holds the logits (Float32Array) or the argmax ids (Int32Array);
// forwardHidden(ids, T, mask, out: Float32Array [B*T*D]) the same with the final states in `out`.
Napi::Value GPTJSession::step(const Napi::CallbackInfo& info, const char* op, bool hidden) {
  Napi::Env env = info.Env();
  const CudaStep st = validate(info, op, hidden);
  cudaStream_t s = require_device(env, op);
  ensure_rows(env, B_ * st.T);
  if (hidden) ensure_states_host(env);
  if (r_->wdt == DT_Q8 && B_ * st.T > kMaxGemvRowsQ8 && lt_open()) ensure_dequant(env);
  stage(env, st, s, op);
  launch(env, st, s, op);
  commit(st);
  busy_ = true;
  auto* w =
      new StepWait(env, op, info.This().As<Napi::Object>(), this, done_, info[3].As<Napi::TypedArray>(), st.out_bytes);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

CudaStep GPTJSession::validate(const Napi::CallbackInfo& info, const char* op, bool hidden) {
  Napi::Env env = info.Env();
  if (disposed_) throw Napi::Error::New(env, "GPTJSession: disposed");
  refuse_if_busy(env, op);
  r_->check_live(env);
  CudaStep st;
  st.T = arg_int(info, 1, op, "T", 1, Tmax_);
  st.ids = gptj::arg_i32(info, 0, op, "ids", B_ * st.T);
  if (length_ + st.T > Tmax_)
    throw_range(env, std::string(op) + ": " + std::to_string(length_) + " + " + std::to_string(st.T) +
                         " tokens exceed maxLength " + std::to_string(Tmax_));
  if (info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined())
    st.mask = gptj::arg_i32(info, 2, op, "mask", B_ * st.T);
  // A detached out (its buffer transferred) has no elements and fails here like a wrong one.
  const Napi::Value out = info.Length() > 3 ? info[3] : env.Undefined();
  const napi_typedarray_type ot = out.IsTypedArray() ? out.As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
  const int64_t out_len = out.IsTypedArray() ? static_cast<int64_t>(out.As<Napi::TypedArray>().ElementLength()) : -1;
  st.hidden = hidden;
  if (hidden) {
    if (!(ot == napi_float32_array && out_len == B_ * st.T * r_->d))
      throw_type(env, std::string(op) + ": out must be a Float32Array of batchSize*T*nEmbd");
    st.out_bytes = B_ * st.T * r_->d * 4;
  } else {
    st.want_ids = ot == napi_int32_array;
    if (!(ot == napi_float32_array && out_len == B_ * r_->vocab) && !(st.want_ids && out_len == B_))
      throw_type(env,
                 std::string(op) + ": out must be a Float32Array of batchSize*vocabSize or an Int32Array of batchSize");
    st.out_bytes = st.want_ids ? B_ * 4 : B_ * r_->vocab * 4;
  }
  gptj::check_step_tokens(env, op, st.ids, st.mask, B_, st.T, r_->vocab);
  st.seen = real_count_;
  st.positions.resize(B_ * st.T);
  gptj::step_positions(st.mask, B_, st.T, st.seen, st.positions.data());
  return st;
}

// Stage ids, positions, kv lengths and the new mask columns (pinned, then to the device).
void GPTJSession::stage(Napi::Env env, const CudaStep& st, cudaStream_t s, const char* op) {
  const int64_t T = st.T, n = B_ * T;
  int32_t* h_ids = hstage_;
  int32_t* h_pos = hstage_ + cap_;
  int32_t* h_mask = hstage_ + 2 * cap_;
  int32_t* h_lens = hstage_ + 3 * cap_;
  std::copy_n(st.ids, n, h_ids);
  std::copy_n(st.positions.data(), n, h_pos);
  for (int64_t i = 0; i < n; ++i) h_mask[i] = st.mask ? st.mask[i] : 1;
  h_lens[0] = static_cast<int32_t>(length_);
  h_lens[1] = static_cast<int32_t>(length_ + T);
  check(env, cudaMemcpyAsync(ids_, h_ids, n * 4, cudaMemcpyHostToDevice, s), op);
  check(env, cudaMemcpyAsync(pos_, h_pos, n * 4, cudaMemcpyHostToDevice, s), op);
  check(env, cudaMemcpyAsync(dlens_, h_lens, 8, cudaMemcpyHostToDevice, s), op);
  check(env, cudaMemcpy2DAsync(dmask_ + length_, Tmax_ * 4, h_mask, T * 4, T * 4, B_, cudaMemcpyHostToDevice, s), op);
}

// The model (decode steps from the captured graph once warm; hidden steps always launched directly,
// the graph computes logits), then the result copy and its event.
void GPTJSession::launch(Napi::Env env, const CudaStep& st, cudaStream_t s, const char* op) {
  const bool decode = st.T == 1 && !st.hidden;
  if (decode && use_graph_ && graph_warm_) {
    if (!graph_) {
      cudaGraph_t g = nullptr;
      check(env, cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), op);
      enqueue(1, false, s);
      const cudaError_t e = cudaStreamEndCapture(s, &g);
      if (e != cudaSuccess) {
        cudaGetLastError();
        use_graph_ = false;  // capture unsupported here: stay on direct launches
        enqueue(1, false, s);
      } else {
        check(env, cudaGraphInstantiate(&graph_, g, 0), op);
        cudaGraphDestroy(g);
      }
    }
    if (graph_) check(env, cudaGraphLaunch(graph_, s), op);
  } else {
    enqueue(st.T, st.hidden, s);
  }
  check(env, cudaGetLastError(), op);
  if (decode) graph_warm_ = true;  // a decode step ran with the current buffers (plans, attributes)
  void* host = st.hidden ? hstates_ : hout_;
  const void* dev = st.hidden     ? static_cast<const void*>(states())
                    : st.want_ids ? static_cast<void*>(dargmax_)
                                  : logits_;
  check(env, cudaMemcpyAsync(host, dev, st.out_bytes, cudaMemcpyDeviceToHost, s), op);
  hresult_ = host;
  check(env, cudaEventRecord(done_, s), op);
}

void GPTJSession::commit(const CudaStep& st) {
  for (int64_t b = 0; b < B_; ++b)
    for (int64_t t = 0; t < st.T; ++t) hmask_[b * Tmax_ + length_ + t] = st.mask ? st.mask[b * st.T + t] : 1;
  real_count_ = st.seen;
  length_ += st.T;
}

// reorder(rows: Int32Array [B]): new row i = old row rows[i] (KV cache, mask, position counters).
// The host state is swapped only after the device gathers were enqueued and finished.
Napi::Value GPTJSession::Reorder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "GPTJSession.reorder";
  if (disposed_) throw Napi::Error::New(env, "GPTJSession: disposed");
  refuse_if_busy(env, op);
  const int32_t* rows = gptj::arg_i32(info, 0, op, "rows", B_);
  for (int64_t i = 0; i < B_; ++i)
    if (rows[i] < 0 || rows[i] >= B_)
      throw_range(env, std::string(op) + ": rows[" + std::to_string(i) + "] is outside [0, batchSize)");
  cudaStream_t s = require_device(env, op);
  std::vector<int32_t> m(hmask_.size());
  std::vector<int64_t> c(B_);
  for (int64_t i = 0; i < B_; ++i) {
    std::copy_n(hmask_.begin() + rows[i] * Tmax_, Tmax_, m.begin() + i * Tmax_);
    c[i] = real_count_[rows[i]];
  }
  // Gather per layer through a session-owned temporary of one layer's K (or V): freed with the session.
  if (!reorder_tmp_) reorder_tmp_ = fixed_.alloc(env, kv_layer_bytes_);
  char* tmp = static_cast<char*>(reorder_tmp_);
  const size_t row_bytes = kv_layer_bytes_ / B_;
  for (int64_t l = 0; l < 2 * r_->n_layer; ++l) {
    char* base = static_cast<char*>(kv_) + l * kv_layer_bytes_;
    for (int64_t i = 0; i < B_; ++i)
      check(env,
            cudaMemcpyAsync(tmp + i * row_bytes, base + rows[i] * row_bytes, row_bytes, cudaMemcpyDeviceToDevice, s),
            op);
    check(env, cudaMemcpyAsync(base, tmp, kv_layer_bytes_, cudaMemcpyDeviceToDevice, s), op);
  }
  check(env, cudaMemcpyAsync(dmask_, m.data(), m.size() * 4, cudaMemcpyHostToDevice, s), op);
  check(env, cudaStreamSynchronize(s), op);
  hmask_.swap(m);
  real_count_.swap(c);
  return env.Undefined();
}

Napi::Value GPTJSession::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) return env.Undefined();
  disposed_ = true;
  if (!busy_) release(env);  // else the step's StepWait releases once it settles
  return env.Undefined();
}

}  // namespace

void register_runner(Napi::Env env, Napi::Object exports) {
  exports.Set("GPTJRunner", GPTJRunner::Init(env));
  exports.Set("GPTJSession", GPTJSession::Init(env));
}

}  // namespace gptj_cuda
