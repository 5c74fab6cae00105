// The GPT-J decoder on the CPU, one native job per forward step (issue 3: asynchronous execution "of
// a whole forward step"). Driving the layer kit from JS awaits each heavy op on a libuv worker; on the
// 2-vCPU test host every such round trip costs 0.3-0.5 ms of thread wake-ups, about 200 of them per
// token. Here the whole step (all layers, ln_f, lm_head) is one AsyncWorker, so the event loop sees
// one round trip per step and stays free meanwhile.
//
// The computation is the layer kit's, op for op and with the same kernels (kernels.h, op_kernels.h),
// so the logits equal those of the per-op path (src/cpu-runner.test.ts checks it):
//   x = wte[ids]; per layer: h = ln(x); q, k, v = h W^T; rotary (interleaved) on q, k; k, v -> cache;
//   a = attention(q, cache) W_out^T; m = gelu(h W_in^T + b_in) W_out'^T + b_out'; x = (x + a) + m;
//   logits = ln_f(x at each row's last position) W_lm^T + b_lm,
//   or with `hidden`: ln_f(x) at every new position, and no lm_head (features: transformers' last_hidden_state).
//
//   new CpuGPTJRunner(config, weights)
//     config  { vocabSize, nEmbd, nLayer, nHead, nInner, rotaryDim, layerNormEpsilon, ropeBase, geluTanh }
//     weights { wte, lnfGamma, lnfBeta, lmHead, lmHeadBias, layers: [{ lnGamma, lnBeta, q, k, v, out,
//               fcIn, fcInBias, fcOut, fcOutBias }] }, each entry { storage: Storage, dtype: code }.
//     Matrices ([out, in]; wte [V, D]) are f32/f16/bf16/q8 and read in place; norms and biases are
//     f32/f16/bf16 and copied to f32 here (a few MB).
//   new CpuGPTJSession(runner, batchSize, maxLength)
//     KV cache f32 [nLayer][B, H, maxLength, Dh] for k and for v, as the layer kit's KVCache.
//   session.forward(ids Int32Array [B*T], T, mask Int32Array [B*T] | null, hidden = false): Promise<Float32Array>
//     logits [B*V] of each row's last new position, or with hidden the final states [B*T*D] of every new
//     position; positions are cumsum(mask) - 1 over everything seen.
//   session.reorder(rows Int32Array [B]), session.length, session.dispose()
//
// Lifetime: a step pins every weight storage (a JS dispose() meanwhile is deferred) after checking
// they are all live; the job holds the session, which holds the runner, which holds the storages.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "async_kernel.h"
#include "host_alloc.h"
#include "op_kernels.h"

namespace gptj {
namespace {

// Tags that tell our wrapped objects apart before Unwrap (a wrong object would be misread).
constexpr napi_type_tag kRunnerTag = {0x6a7ef0c1d2e34b5aULL, 0x9c1b2d3e4f506172ULL};

// A weight matrix [rows, cols] read in place.
struct Matrix {
  Storage* s = nullptr;
  DType dt = DType::F32;
  int64_t rows = 0, cols = 0;
};

WType wtype(DType dt) {
  switch (dt) {
    case DType::F16: return WType::F16;
    case DType::BF16: return WType::BF16;
    case DType::Q8: return WType::Q8;
    default: return WType::F32;
  }
}

// y [M, w.rows] = x [M, w.cols] @ w^T (+ bias).
void linear_m(const float* x, int64_t M, const Matrix& w, const float* bias, float* y) {
  const float* scales = w.dt == DType::Q8 ? q8_scales(w.s, w.rows, w.cols) : nullptr;
  linear(x, M, w.cols, w.s->data(), wtype(w.dt), scales, bias, y, w.rows);
}

struct Layer {
  Matrix q, k, v, out, fc_in, fc_out;
  std::vector<float> ln_g, ln_b, fc_in_b, fc_out_b;
};

class Runner : public Napi::ObjectWrap<Runner> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CpuGPTJRunner", {InstanceMethod("dispose", &Runner::Dispose)});
  }

  explicit Runner(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Runner>(info) {
    Napi::Env env = info.Env();
    const char* op = "CpuGPTJRunner";
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject())
      throw_type(env, std::string(op) + ": expected (config, weights)");
    info.This().As<Napi::Object>().TypeTag(&kRunnerTag);
    Napi::Object c = info[0].As<Napi::Object>(), w = info[1].As<Napi::Object>();
    V = as_int(env, c.Get("vocabSize"), op, "config.vocabSize", 1, int64_t(1) << 24);
    D = as_int(env, c.Get("nEmbd"), op, "config.nEmbd", 1, int64_t(1) << 20);
    const int64_t n_layer = as_int(env, c.Get("nLayer"), op, "config.nLayer", 1, 4096);
    H = as_int(env, c.Get("nHead"), op, "config.nHead", 1, D);
    I = as_int(env, c.Get("nInner"), op, "config.nInner", 1, int64_t(1) << 22);
    if (D % H != 0) throw_range(env, std::string(op) + ": nEmbd " + std::to_string(D) + " is not divisible by nHead " + std::to_string(H));
    Dh = D / H;
    rotary_dim = as_int(env, c.Get("rotaryDim"), op, "config.rotaryDim", 0, Dh);
    if (rotary_dim % 2 != 0) throw_range(env, std::string(op) + ": rotaryDim must be even");
    eps = static_cast<float>(as_num(env, c.Get("layerNormEpsilon"), op, "config.layerNormEpsilon"));
    rope_base = static_cast<float>(as_num(env, c.Get("ropeBase"), op, "config.ropeBase"));
    gelu_tanh = c.Get("geluTanh").ToBoolean();
    // The layer kit passes 1 / Math.sqrt(Dh) (a double) to attention, which rounds it to f32.
    scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dh)));

    wte = matrix(env, w, "wte", V, D);
    lm_head = matrix(env, w, "lmHead", V, D);
    lnf_g = vec(env, w, "lnfGamma", D);
    lnf_b = vec(env, w, "lnfBeta", D);
    lm_head_b = vec(env, w, "lmHeadBias", V);
    Napi::Value lv = w.Get("layers");
    if (!lv.IsArray() || lv.As<Napi::Array>().Length() != static_cast<uint32_t>(n_layer))
      throw_range(env, std::string(op) + ": weights.layers must be an array of nLayer = " + std::to_string(n_layer) + " entries");
    Napi::Array la = lv.As<Napi::Array>();
    for (uint32_t i = 0; i < la.Length(); i++) {
      if (!la.Get(i).IsObject()) throw_type(env, std::string(op) + ": weights.layers[" + std::to_string(i) + "] must be an object");
      Napi::Object lo = la.Get(i).As<Napi::Object>();
      const std::string p = "layers[" + std::to_string(i) + "].";
      Layer l;
      l.ln_g = vec(env, lo, "lnGamma", D, p);
      l.ln_b = vec(env, lo, "lnBeta", D, p);
      l.q = matrix(env, lo, "q", D, D, p);
      l.k = matrix(env, lo, "k", D, D, p);
      l.v = matrix(env, lo, "v", D, D, p);
      l.out = matrix(env, lo, "out", D, D, p);
      l.fc_in = matrix(env, lo, "fcIn", I, D, p);
      l.fc_in_b = vec(env, lo, "fcInBias", I, p);
      l.fc_out = matrix(env, lo, "fcOut", D, I, p);
      l.fc_out_b = vec(env, lo, "fcOutBias", D, p);
      layers.push_back(std::move(l));
    }
  }

  // Throws (naming the weight) unless every weight storage is still live and every file they map still
  // whole; each file is checked once (an fstat costs about 1.4 us here, and a 6B model has 170 weights).
  void check_weights(const char* op) {
    std::vector<const Mapping*> files;
    for (size_t i = 0; i < storages.size(); i++) {
      storages[i]->check_live(op, names[i].c_str(), false);
      const Mapping* m = storages[i]->mapping();
      if (m && std::find(files.begin(), files.end(), m) == files.end()) {
        mapping_check(Env(), m, std::string(op) + ": " + names[i]);
        files.push_back(m);
      }
    }
  }
  void pin_weights() {
    for (Storage* s : storages) s->pin();
  }
  void unpin_weights() {
    for (Storage* s : storages) s->unpin();
  }

  int64_t V = 0, D = 0, H = 0, Dh = 0, I = 0, rotary_dim = 0;
  float eps = 0, rope_base = 0, scale = 0;
  bool gelu_tanh = true;
  bool disposed = false;
  Matrix wte, lm_head;
  std::vector<float> lnf_g, lnf_b, lm_head_b;
  std::vector<Layer> layers;

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    disposed = true;  // storages stay referenced until GC: a session step may still hold this runner
    return info.Env().Undefined();
  }

  // weights.<prefix><key> = { storage, dtype }: the entry object, its dtype (a code up to max_code:
  // 2 allows f32/f16/bf16, 3 also q8) and its live Storage of at least need_bytes(dtype) bytes.
  template <typename NeedBytes>
  std::pair<Napi::Object, Storage*> entry(Napi::Env env, const Napi::Object& o, const char* key, const std::string& prefix,
                                          int max_code, DType* dt, NeedBytes need_bytes) {
    const std::string name = "weights." + prefix + key;
    Napi::Value e = o.Get(key);
    if (!e.IsObject()) throw_type(env, "CpuGPTJRunner: " + name + " must be { storage, dtype }");
    Napi::Value code = e.As<Napi::Object>().Get("dtype");
    const int c = code.IsNumber() ? code.As<Napi::Number>().Int32Value() : -1;
    if (c < 0 || c > max_code)
      throw_type(env, "CpuGPTJRunner: " + name + (max_code == 3 ? " must be f32, f16, bf16 or q8" : " must be f32, f16 or bf16"));
    *dt = static_cast<DType>(c);
    Napi::Value storage = e.As<Napi::Object>().Get("storage");
    return {storage.IsObject() ? storage.As<Napi::Object>() : Napi::Object(),
            as_storage(env, storage, "CpuGPTJRunner", name, need_bytes(*dt))};
  }

  // A matrix read in place: referenced for the runner's life, its liveness checked before each step.
  Matrix matrix(Napi::Env env, const Napi::Object& o, const char* key, int64_t rows, int64_t cols,
                const std::string& prefix = "") {
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    auto [obj, s] = entry(env, o, key, prefix, 3, &m.dt, [&](DType dt) {
      return dt == DType::Q8 ? q8_bytes_d(rows, cols) : dtype_bytes(dt, 1.0 * rows * cols);
    });
    m.s = s;
    refs.push_back(Napi::Persistent(obj));
    storages.push_back(s);
    names.push_back(std::string("weights.") + prefix + key);
    return m;
  }

  // A [n] vector copied to f32 (not kept referenced).
  std::vector<float> vec(Napi::Env env, const Napi::Object& o, const char* key, int64_t n, const std::string& prefix = "") {
    DType dt;
    Storage* s = entry(env, o, key, prefix, 2, &dt, [&](DType d) { return dtype_bytes(d, 1.0 * n); }).second;
    std::vector<float> out(static_cast<size_t>(n));
    row_to_f32(s->data(), dt, 1, n, 0, out.data());
    return out;
  }

  std::vector<Napi::ObjectReference> refs;  // the weight storages, alive as long as this runner
  std::vector<Storage*> storages;
  std::vector<std::string> names;
};

// Scratch buffer from host_alloc (reused across steps, grown on demand).
class Scratch {
 public:
  ~Scratch() { reset(); }
  float* get(size_t floats) {
    if (floats * 4 > cap_) {
      reset();
      p_ = host_alloc(floats * 4, &cap_);
      if (!p_) throw std::bad_alloc();
    }
    return static_cast<float*>(p_);
  }
  void reset() {
    if (p_) host_free(p_, cap_);
    p_ = nullptr;
    cap_ = 0;
  }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

// What one step needs besides the session's state, prepared on the JS thread.
struct StepInput {
  std::vector<int32_t> ids;        // [B*T]
  std::vector<int32_t> positions;  // [B*T]
  std::vector<int32_t> mask;       // [B, L]: every position held after the step
  std::vector<int64_t> seen;       // per row, tokens with mask 1 after the step
  int64_t T = 0;
  bool hidden = false;             // return ln_f(x) of every new position instead of the last one's logits
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CpuGPTJSession",
                       {InstanceMethod("forward", &Session::Forward), InstanceMethod("reorder", &Session::Reorder),
                        InstanceMethod("dispose", &Session::Dispose), InstanceAccessor("length", &Session::Length, nullptr)});
  }

  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject() || !info[0].As<Napi::Object>().CheckTypeTag(&kRunnerTag))
      throw_type(env, "CpuGPTJSession: the first argument must be a CpuGPTJRunner");
    r_ = Runner::Unwrap(info[0].As<Napi::Object>());
    if (r_->disposed) throw Napi::Error::New(env, "CpuGPTJSession: the runner was disposed");
    runner_ref_ = Napi::Persistent(info[0].As<Napi::Object>());
    B_ = arg_int(info, 1, "CpuGPTJSession", "batchSize", 1, 4096);
    max_len_ = arg_int(info, 2, "CpuGPTJSession", "maxLength", 1, int64_t(1) << 24);
    const double floats = 1.0 * static_cast<double>(r_->layers.size()) * B_ * r_->H * max_len_ * r_->Dh;
    if (floats * 4 > 1e14) throw_range(env, "CpuGPTJSession: the KV cache would take " + std::to_string(floats * 8) + " bytes");
    cache_floats_ = static_cast<size_t>(floats);
    k_ = static_cast<float*>(host_alloc(cache_floats_ * 4, &k_cap_));
    v_ = static_cast<float*>(host_alloc(cache_floats_ * 4, &v_cap_));
    if (!k_ || !v_) {
      free_cache();
      throw Napi::Error::New(env, "CpuGPTJSession: out of memory for a KV cache of " + std::to_string(cache_floats_ * 8) + " bytes");
    }
    mask_.assign(static_cast<size_t>(B_ * max_len_), 0);
    seen_.assign(static_cast<size_t>(B_), 0);
  }
  ~Session() override { free_cache(); }

  // Runs on the pool, under compute_mutex: the whole step. Fills logits [B, V] (hidden: states [B, T, D]).
  void Step(const StepInput& in, std::vector<float>& out) {
    const Runner& r = *r_;
    const int64_t B = B_, T = in.T, N = B * T, D = r.D, H = r.H, Dh = r.Dh, L0 = length_, L = L0 + T;
    float* x = x_.get(N * D);
    float* h = h_.get(N * D);
    float* q = q_.get(N * D);
    float* k = k_buf_.get(N * D);
    float* v = v_buf_.get(N * D);
    float* att = att_.get(N * D);
    float* ao = ao_.get(N * D);
    float* m = m_.get(N * r.I);
    float* mo = mo_.get(N * D);
    embedding_rows(r.wte.s->data(), r.wte.dt, r.V, D, in.ids.data(), N, x);
    const size_t layer_floats = static_cast<size_t>(B * H * max_len_ * Dh);
    for (size_t li = 0; li < r.layers.size(); li++) {
      const Layer& l = r.layers[li];
      layernorm_rows(x, l.ln_g.data(), l.ln_b.data(), h, N, D, r.eps);
      linear_m(h, N, l.q, nullptr, q);
      linear_m(h, N, l.k, nullptr, k);
      linear_m(h, N, l.v, nullptr, v);
      rotary_kernel(q, in.positions.data(), q, B, T, H, Dh, r.rotary_dim, true, r.rope_base);
      rotary_kernel(k, in.positions.data(), k, B, T, H, Dh, r.rotary_dim, true, r.rope_base);
      float* kc = k_ + li * layer_floats;  // [B, H, maxLen, Dh]
      float* vc = v_ + li * layer_floats;
      for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
          for (int64_t hh = 0; hh < H; hh++) {
            const int64_t src = ((b * T + t) * H + hh) * Dh, dst = ((b * H + hh) * max_len_ + L0 + t) * Dh;
            std::memcpy(kc + dst, k + src, static_cast<size_t>(Dh) * 4);
            std::memcpy(vc + dst, v + src, static_cast<size_t>(Dh) * 4);
          }
      attention_kernel(AttnArgs{q, kc, vc, in.mask.data(), att, B, T, H, Dh, max_len_, L, r.scale});
      linear_m(att, N, l.out, nullptr, ao);
      linear_m(h, N, l.fc_in, l.fc_in_b.data(), m);
      gelu_kernel(m, m, N * r.I, r.gelu_tanh);
      linear_m(m, N, l.fc_out, l.fc_out_b.data(), mo);
      par(N, D * 2, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0 * D; i < r1 * D; i++) x[i] = (x[i] + ao[i]) + mo[i];
      });
    }
    if (in.hidden) {
      out.resize(static_cast<size_t>(N * D));
      layernorm_rows(x, r.lnf_g.data(), r.lnf_b.data(), out.data(), N, D, r.eps);
      return;
    }
    // ln_f and lm_head on each row's last position only.
    for (int64_t b = 0; b < B; b++) std::memcpy(q + b * D, x + (b * T + T - 1) * D, static_cast<size_t>(D) * 4);
    layernorm_rows(q, r.lnf_g.data(), r.lnf_b.data(), h, B, D, r.eps);
    out.resize(static_cast<size_t>(B * r.V));
    linear_m(h, B, r.lm_head, r.lm_head_b.data(), out.data());
  }

  // After a successful step: the new positions become part of the session.
  void Commit(const StepInput& in) {
    const int64_t L0 = length_;
    for (int64_t b = 0; b < B_; b++)
      for (int64_t t = 0; t < in.T; t++) mask_[b * max_len_ + L0 + t] = in.mask[b * (L0 + in.T) + L0 + t];
    seen_ = in.seen;
    length_ += in.T;
  }

  void StepDone() {
    busy_ = false;
    r_->unpin_weights();
    if (disposed_) free_cache();
  }

 private:
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Reorder(const Napi::CallbackInfo& info);

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    disposed_ = true;
    if (!busy_) free_cache();
    return info.Env().Undefined();
  }

  Napi::Value Length(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(length_)); }

  void live(Napi::Env env, const char* op) {
    if (disposed_) throw Napi::Error::New(env, std::string(op) + ": the session was disposed");
    if (busy_) throw Napi::Error::New(env, std::string(op) + ": a forward step is still running; await it first");
    if (r_->disposed) throw Napi::Error::New(env, std::string(op) + ": the runner was disposed");
  }

  void free_cache() {
    if (k_) host_free(k_, k_cap_);
    if (v_) host_free(v_, v_cap_);
    k_ = v_ = nullptr;
    for (Scratch* s : {&x_, &h_, &q_, &k_buf_, &v_buf_, &att_, &ao_, &m_, &mo_}) s->reset();
  }

  Napi::ObjectReference runner_ref_;
  Runner* r_ = nullptr;
  int64_t B_ = 0, max_len_ = 0, length_ = 0;
  size_t cache_floats_ = 0, k_cap_ = 0, v_cap_ = 0;
  float *k_ = nullptr, *v_ = nullptr;
  std::vector<int32_t> mask_;  // [B, maxLen]; the first length_ of each row are held
  std::vector<int64_t> seen_;
  bool busy_ = false, disposed_ = false;
  Scratch x_, h_, q_, k_buf_, v_buf_, att_, ao_, m_, mo_;
};

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, Napi::Object session, StepInput in)
      : Napi::AsyncWorker(env, "gptj:cpu-step"), deferred_(Napi::Promise::Deferred::New(env)),
        session_ref_(Napi::Persistent(session)), session_(Session::Unwrap(session)), in_(std::move(in)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      run_sync([&] { session_->Step(in_, out_); });
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    session_->Commit(in_);
    session_->StepDone();
    Napi::Env env = Env();
    Napi::Float32Array out = Napi::Float32Array::New(env, out_.size());
    std::memcpy(out.Data(), out_.data(), out_.size() * 4);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override {
    session_->StepDone();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference session_ref_;
  Session* session_;
  StepInput in_;
  std::vector<float> out_;
};

// An Int32Array argument of exactly n entries.
const int32_t* arg_i32(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what, int64_t n) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(env, std::string(op) + ": " + what + " must be an Int32Array");
  Napi::Int32Array a = info[i].As<Napi::Int32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != n)
    throw_range(env, std::string(op) + ": " + what + " has " + std::to_string(a.ElementLength()) + " entries, expected " + std::to_string(n));
  return a.Data();
}

Napi::Value Session::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "CpuGPTJSession.forward";
  live(env, op);
  const int64_t T = arg_int(info, 1, op, "T", 1, int64_t(1) << 24);
  if (length_ + T > max_len_)
    throw_range(env, std::string(op) + ": " + std::to_string(length_ + T) + " positions exceed the session's maxLength of " + std::to_string(max_len_));
  const int32_t* ids = arg_i32(info, 0, op, "ids", B_ * T);
  const bool has_mask = info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined();
  const int32_t* mask = has_mask ? arg_i32(info, 2, op, "mask", B_ * T) : nullptr;
  StepInput in;
  in.T = T;
  in.hidden = info.Length() > 3 && info[3].ToBoolean();
  in.ids.assign(ids, ids + B_ * T);
  for (int64_t i = 0; i < B_ * T; i++) {
    if (ids[i] < 0 || ids[i] >= r_->V)
      throw_range(env, std::string(op) + ": token id " + std::to_string(ids[i]) + " at row " + std::to_string(i / T) + ", position " +
                          std::to_string(i % T) + " is outside [0, " + std::to_string(r_->V) + ")");
    if (mask && mask[i] != 0 && mask[i] != 1)
      throw_range(env, std::string(op) + ": mask values must be 0 or 1, got " + std::to_string(mask[i]));
  }
  r_->check_weights(op);
  // Positions as transformers' generate: cumsum(mask) - 1 over every position seen, padding at 1.
  const int64_t L = length_ + T;
  in.seen = seen_;
  in.positions.resize(static_cast<size_t>(B_ * T));
  in.mask.resize(static_cast<size_t>(B_ * L));
  for (int64_t b = 0; b < B_; b++) {
    std::copy_n(mask_.begin() + b * max_len_, length_, in.mask.begin() + b * L);
    for (int64_t t = 0; t < T; t++) {
      const int32_t mv = mask ? mask[b * T + t] : 1;
      in.mask[b * L + length_ + t] = mv;
      if (mv) in.seen[b]++;
      in.positions[b * T + t] = mv ? static_cast<int32_t>(in.seen[b] - 1) : 1;
    }
  }
  busy_ = true;
  r_->pin_weights();
  auto* w = new StepWorker(env, info.This().As<Napi::Object>(), std::move(in));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

// Beam search: new row i = old row rows[i] (KV cache, mask, position counters).
Napi::Value Session::Reorder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "CpuGPTJSession.reorder";
  live(env, op);
  const int32_t* rows = arg_i32(info, 0, op, "rows", B_);
  for (int64_t i = 0; i < B_; i++)
    if (rows[i] < 0 || rows[i] >= B_)
      throw_range(env, std::string(op) + ": row " + std::to_string(rows[i]) + " is outside [0, " + std::to_string(B_) + ")");
  const int64_t H = r_->H, Dh = r_->Dh, row_floats = H * max_len_ * Dh, used = length_ * Dh;
  std::vector<float> tmp(static_cast<size_t>(B_ * H * used));
  run_sync([&] {
    for (float* cache : {k_, v_})
      for (size_t li = 0; li < r_->layers.size(); li++) {
        float* base = cache + li * static_cast<size_t>(B_ * row_floats);
        for (int64_t b = 0; b < B_; b++)
          for (int64_t hh = 0; hh < H; hh++)
            std::memcpy(tmp.data() + (b * H + hh) * used, base + rows[b] * row_floats + hh * max_len_ * Dh, static_cast<size_t>(used) * 4);
        for (int64_t b = 0; b < B_; b++)
          for (int64_t hh = 0; hh < H; hh++)
            std::memcpy(base + b * row_floats + hh * max_len_ * Dh, tmp.data() + (b * H + hh) * used, static_cast<size_t>(used) * 4);
      }
  });
  std::vector<int32_t> mask(mask_.size());
  std::vector<int64_t> seen(seen_.size());
  for (int64_t b = 0; b < B_; b++) {
    std::copy_n(mask_.begin() + rows[b] * max_len_, max_len_, mask.begin() + b * max_len_);
    seen[b] = seen_[rows[b]];
  }
  mask_ = std::move(mask);
  seen_ = std::move(seen);
  return env.Undefined();
}

}  // namespace

void InitGPTJRunner(Napi::Env env, Napi::Object exports) {
  exports.Set("CpuGPTJRunner", Runner::Define(env));
  exports.Set("CpuGPTJSession", Session::Define(env));
}

}  // namespace gptj
