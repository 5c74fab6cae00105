// The GPT-J runner's weights (Runner, a Napi::ObjectWrap holding the checkpoint's tensors in place) and the
// pieces its step jobs share: the session (gptj_runner.cpp, one KV cache [B, H, maxLength, Dh]) and the
// sequence pool (gptj_pool.cpp, a paged KV cache shared by independent sequences).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "async_kernel.h"
#include "host_alloc.h"
#include "op_kernels.h"
#include "q4.h"

namespace gptj {

// Tags that tell our wrapped objects apart before Unwrap (a wrong object would be misread).
inline constexpr napi_type_tag kRunnerTag = {0x6a7ef0c1d2e34b5aULL, 0x9c1b2d3e4f506172ULL};

// A weight matrix [rows, cols] read in place.
struct Matrix {
  Storage* s = nullptr;
  DType dt = DType::F32;
  int64_t rows = 0, cols = 0;
};

inline WType wtype(DType dt) {
  switch (dt) {
    case DType::F16: return WType::F16;
    case DType::BF16: return WType::BF16;
    case DType::Q8: return WType::Q8;
    case DType::Q4: return WType::Q4;
    default: return WType::F32;
  }
}

// y [M, w.rows] = x [M, w.cols] @ w^T (+ bias). q4 needs no scales argument: linear finds them in the storage.
inline void linear_m(const float* x, int64_t M, const Matrix& w, const float* bias, float* y) {
  const float* scales = w.dt == DType::Q8 ? q8_scales(w.s, w.rows, w.cols) : nullptr;
  linear(x, M, w.cols, w.s->data(), wtype(w.dt), scales, bias, y, w.rows);
}

// lm_head's W made once into the small-K GEMM's panels (gemm_kernels.h SmallKPanels), for steps of
// avx512::kSmallKMinRows rows or more: no step converts or transposes W again. Made only on AVX-512 with K <=
// kSmallKMax (the mini-code model: 12.9 MB more for its f16 [50400, 128] lm_head, the size of W itself; f32, q8 and
// q4 weights take 4 bytes per weight), reported to V8 as external memory; null elsewhere, and fewer rows read W itself
// (GEMV, dot-product GEMM).
class PackedLmHead {
 public:
  PackedLmHead() = default;
  PackedLmHead(const PackedLmHead&) = delete;
  PackedLmHead& operator=(const PackedLmHead&) = delete;
  ~PackedLmHead() {
    if (!mem_) return;
    host_free(mem_, cap_);
    Napi::MemoryManagement::AdjustExternalMemory(env_, -static_cast<int64_t>(cap_));
  }
  // Packs w (W [rows, cols]) when this CPU's linear takes the small-K GEMM for its shape; false when out of memory.
  bool pack(napi_env env, const Matrix& w);
  // y [M, W rows] = x [M, cols] W^T + bias when packed and M is large enough, and with `best` each row's scan, with
  // `skip` rows left out (gemm_kernels.h gemm_small_k_packed); false (nothing done) otherwise.
  bool linear(const float* x, int64_t M, const float* bias, float* y, int32_t* best, const int32_t* skip) const;

 private:
  napi_env env_ = nullptr;
  void* mem_ = nullptr;
  size_t cap_ = 0;
  WType type_ = WType::F32;
  int64_t N_ = 0, K_ = 0;
};

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
    if (D % H != 0)
      throw_range(env,
                  std::string(op) + ": nEmbd " + std::to_string(D) + " is not divisible by nHead " + std::to_string(H));
    Dh = D / H;
    rotary_dim = as_int(env, c.Get("rotaryDim"), op, "config.rotaryDim", 0, Dh);
    if (rotary_dim % 2 != 0) throw_range(env, std::string(op) + ": rotaryDim must be even");
    eps = static_cast<float>(as_num(env, c.Get("layerNormEpsilon"), op, "config.layerNormEpsilon"));
    rope_base = static_cast<float>(as_num(env, c.Get("ropeBase"), op, "config.ropeBase"));
    gelu_tanh = c.Get("geluTanh").ToBoolean();
    // The layer kit passes 1 / Math.sqrt(Dh) (a double) to attention, which rounds it to f32.
    scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(Dh)));

    wte = matrix(env, w, "wte", V, D, "", false);  // embedding_rows gathers f32/f16/bf16/q8 rows, not q4
    lm_head = matrix(env, w, "lmHead", V, D);
    if (!lm_head_panels.pack(env, lm_head))
      throw Napi::Error::New(env, std::string(op) + ": out of memory for the packed weights.lmHead");
    lnf_g = vec(env, w, "lnfGamma", D);
    lnf_b = vec(env, w, "lnfBeta", D);
    lm_head_b = vec(env, w, "lmHeadBias", V);
    Napi::Value lv = w.Get("layers");
    if (!lv.IsArray() || lv.As<Napi::Array>().Length() != static_cast<uint32_t>(n_layer))
      throw_range(env, std::string(op) + ": weights.layers must be an array of nLayer = " + std::to_string(n_layer) +
                           " entries");
    Napi::Array la = lv.As<Napi::Array>();
    for (uint32_t i = 0; i < la.Length(); i++) {
      if (!la.Get(i).IsObject())
        throw_type(env, std::string(op) + ": weights.layers[" + std::to_string(i) + "] must be an object");
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
  PackedLmHead lm_head_panels;
  std::vector<float> lnf_g, lnf_b, lm_head_b;
  std::vector<Layer> layers;

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    disposed = true;  // storages stay referenced until GC: a session step may still hold this runner
    return info.Env().Undefined();
  }

  // weights.<prefix><key> = { storage, dtype }: the entry object, its dtype (one of `allowed`, named in the
  // error as `allowed_names`) and its live Storage of at least need_bytes(dtype) bytes.
  template <typename NeedBytes>
  std::pair<Napi::Object, Storage*> entry(Napi::Env env, const Napi::Object& o, const char* key,
                                          const std::string& prefix, std::initializer_list<DType> allowed,
                                          const char* allowed_names, DType* dt, NeedBytes need_bytes) {
    const std::string name = "weights." + prefix + key;
    Napi::Value e = o.Get(key);
    if (!e.IsObject()) throw_type(env, "CpuGPTJRunner: " + name + " must be { storage, dtype }");
    Napi::Value code = e.As<Napi::Object>().Get("dtype");
    const int c = code.IsNumber() ? code.As<Napi::Number>().Int32Value() : -1;
    if (std::none_of(allowed.begin(), allowed.end(), [&](DType d) { return static_cast<int>(d) == c; }))
      throw_type(env, "CpuGPTJRunner: " + name + " must be " + allowed_names);
    *dt = static_cast<DType>(c);
    Napi::Value storage = e.As<Napi::Object>().Get("storage");
    return {storage.IsObject() ? storage.As<Napi::Object>() : Napi::Object(),
            as_storage(env, storage, "CpuGPTJRunner", name, need_bytes(*dt))};
  }

  // A matrix read in place: referenced for the runner's life, its liveness checked before each step. q4 (when
  // allowed) needs cols a multiple of its 32-weight groups.
  Matrix matrix(Napi::Env env, const Napi::Object& o, const char* key, int64_t rows, int64_t cols,
                const std::string& prefix = "", bool allow_q4 = true) {
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    auto need = [&](DType dt) {
      return dt == DType::Q8   ? q8_bytes_d(rows, cols)
             : dt == DType::Q4 ? q4_bytes_d(rows, cols)
                               : dtype_bytes(dt, 1.0 * rows * cols);
    };
    auto [obj, s] = allow_q4 ? entry(env, o, key, prefix, {DType::F32, DType::F16, DType::BF16, DType::Q8, DType::Q4},
                                     "f32, f16, bf16, q8 or q4", &m.dt, need)
                             : entry(env, o, key, prefix, {DType::F32, DType::F16, DType::BF16, DType::Q8},
                                     "f32, f16, bf16 or q8", &m.dt, need);
    if (m.dt == DType::Q4 && cols % kQ4Group != 0)
      throw_range(env, "CpuGPTJRunner: weights." + prefix + key + " is q4 with " + std::to_string(cols) +
                           " columns, not a multiple of its " + std::to_string(kQ4Group) + "-weight groups");
    m.s = s;
    refs.push_back(Napi::Persistent(obj));
    storages.push_back(s);
    names.push_back(std::string("weights.") + prefix + key);
    return m;
  }

  // A [n] vector copied to f32 (not kept referenced).
  std::vector<float> vec(Napi::Env env, const Napi::Object& o, const char* key, int64_t n,
                         const std::string& prefix = "") {
    DType dt;
    Storage* s =
        entry(env, o, key, prefix, {DType::F32, DType::F16, DType::BF16}, "f32, f16 or bf16", &dt, [&](DType d) {
          return dtype_bytes(d, 1.0 * n);
        }).second;
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

// The activations of one step over N token rows, reused across steps (grown on demand).
struct StepBuffers {
  Scratch x, h, q, k, v, att, ao, m, mo;
  void reset() {
    for (Scratch* s : {&x, &h, &q, &k, &v, &att, &ao, &m, &mo}) s->reset();
  }
};

// What a step does with one layer's q, k, v [N, H, Dh] (rotary applied): store k, v in its cache and
// write the attention of each query row to att [N, H, Dh].
using AttendFn = std::function<void(size_t layer, const float* q, const float* k, const float* v, float* att)>;

// The decoder over N token rows (each a token id with its position), on the calling thread + pool:
//   x [N, D] = wte[ids]; per layer: h = ln(x); q, k, v = h W^T [N, D]; rotary(q, k) at positions [N];
//   att = attend(layer, q, k, v); x = (x + att W_out^T) + (gelu(h W_in^T + b_in) W_out'^T + b_out').
// Returns x [N, D] (in b.x) before ln_f. Every linear is one linear() call over all N rows, which picks GEMV or
// GEMM by rows and dtype (linear.cpp).
float* decoder_layers(const Runner& r, const int32_t* ids, const int32_t* positions, int64_t N, StepBuffers& b,
                      const AttendFn& attend);

// out [n, V] = ln_f(x[rows[i]]) W_lm^T + b_lm: logits of the chosen rows of x [., D] only. With `best` (2 ints per
// row): best[2i] = the lowest id of row i's highest logit (NaN skipped; 0 when none is above -Infinity), best[2i + 1]
// = the first id holding NaN or +Infinity, or -1. With `skip` too (2 ints per row), rows the small-K GEMM may leave
// out of `out` (gemm_kernels.h gemm_small_k_packed); every row is written on the other paths.
void lm_head_rows(const Runner& r, const float* x, const int64_t* rows, int64_t n, StepBuffers& b, float* out,
                  int32_t* best = nullptr, const int32_t* skip = nullptr);

// One forward step of `Owner` (a session or a pool) as an AsyncWorker: Execute runs owner->Run(in, out)
// under compute_mutex on a libuv worker; back on the JS thread, owner->Commit(in) (success) or
// owner->Rollback(in) (failure), then owner->StepDone(), and the promise settles with out (Float32Array).
// With `dest` (a caller's Float32Array, checked by the caller to hold the step's logits), the promise settles
// with dest instead: the owner wrote the logits there itself (from the step's input, leaving out empty), or
// out is copied there. A caller stepping often passes the same dest each time: a fresh array for a 32-row step is
// 6.4 MB of new, zeroed pages per step, more than the step's own compute for a small model. The worker keeps
// the owner's JS object (and dest) alive until then.
template <class Owner, class Input>
class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, Napi::Object owner, Input in, Napi::Float32Array dest)
      : Napi::AsyncWorker(env, "gptj:cpu-step"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_ref_(Napi::Persistent(owner)),
        owner_(Owner::Unwrap(owner)),
        in_(std::move(in)) {
    if (!dest.IsEmpty()) dest_ref_ = Napi::Persistent(dest);
  }

  // Queues the step; its promise.
  static Napi::Promise Start(Napi::Env env, Napi::Object owner, Input in,
                             Napi::Float32Array dest = Napi::Float32Array()) {
    auto* w = new StepWorker(env, owner, std::move(in), dest);
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    try {
      run_sync([&] { owner_->Run(in_, out_); });
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    owner_->Commit(in_);
    owner_->StepDone();
    Napi::Float32Array out = dest_ref_.IsEmpty() ? Napi::Float32Array::New(Env(), out_.size()) : dest_ref_.Value();
    if (!out_.empty()) std::memcpy(out.Data(), out_.data(), out_.size() * 4);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override {
    owner_->Rollback(in_);
    owner_->StepDone();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_ref_;
  Napi::Reference<Napi::Float32Array> dest_ref_;
  Owner* owner_;
  Input in_;
  std::vector<float> out_;
};

// Registers CpuGPTJPool (gptj_pool.cpp) on the addon exports.
void InitGPTJPool(Napi::Env env, Napi::Object exports);

}  // namespace gptj
