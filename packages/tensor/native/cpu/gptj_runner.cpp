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
//     Matrices ([out, in]; wte [V, D]) are f32/f16/bf16/q8 (q4 too, except wte) and read in place; norms and biases are
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

#include "common/step.h"
#include "gemm_kernels.h"
#include "gptj_runner.h"
#include "linear_isa.h"

namespace gptj {
namespace {

// What one step needs besides the session's state, prepared on the JS thread.
struct StepInput {
  std::vector<int32_t> ids;        // [B*T]
  std::vector<int32_t> positions;  // [B*T]
  std::vector<int32_t> mask;       // [B, L]: every position held after the step
  std::vector<int64_t> seen;       // per row, tokens with mask 1 after the step
  int64_t T = 0;
  bool hidden = false;  // return ln_f(x) of every new position instead of the last one's logits
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "CpuGPTJSession",
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
    if (floats * 4 > 1e14)
      throw_range(env, "CpuGPTJSession: the KV cache would take " + std::to_string(floats * 8) + " bytes");
    cache_floats_ = static_cast<size_t>(floats);
    k_ = static_cast<float*>(host_alloc(cache_floats_ * 4, &k_cap_));
    v_ = static_cast<float*>(host_alloc(cache_floats_ * 4, &v_cap_));
    if (!k_ || !v_) {
      free_cache();
      throw Napi::Error::New(
          env, "CpuGPTJSession: out of memory for a KV cache of " + std::to_string(cache_floats_ * 8) + " bytes");
    }
    host_advise_sparse(k_, k_cap_, true);  // each head's positions are touched as they are written
    host_advise_sparse(v_, v_cap_, true);
    mask_.assign(static_cast<size_t>(B_ * max_len_), 0);
    seen_.assign(static_cast<size_t>(B_), 0);
  }
  ~Session() override { free_cache(); }

  // Runs on the pool, under compute_mutex: the whole step. Fills logits [B, V] (hidden: states [B, T, D]).
  void Run(const StepInput& in, std::vector<float>& out) {
    const Runner& r = *r_;
    const int64_t B = B_, T = in.T, N = B * T, H = r.H, Dh = r.Dh, L0 = length_, L = L0 + T;
    const size_t layer_floats = static_cast<size_t>(B * H * max_len_ * Dh);
    float* x = decoder_layers(
        r, in.ids.data(), in.positions.data(), N, buf_,
        [&](size_t li, const float* q, const float* k, const float* v, float* att) {
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
        });
    if (in.hidden) {
      out.resize(static_cast<size_t>(N * r.D));
      layernorm_rows(x, r.lnf_g.data(), r.lnf_b.data(), out.data(), N, r.D, r.eps);
      return;
    }
    std::vector<int64_t> last(static_cast<size_t>(B));  // each row's last position
    for (int64_t b = 0; b < B; b++) last[b] = b * T + T - 1;
    out.resize(static_cast<size_t>(B * r.V));
    lm_head_rows(r, x, last.data(), B, buf_, out.data());
  }

  // After a successful step: the new positions become part of the session.
  void Commit(const StepInput& in) {
    const int64_t L0 = length_;
    for (int64_t b = 0; b < B_; b++)
      for (int64_t t = 0; t < in.T; t++) mask_[b * max_len_ + L0 + t] = in.mask[b * (L0 + in.T) + L0 + t];
    seen_ = in.seen;
    length_ += in.T;
  }

  void Rollback(const StepInput&) {}  // a failed step changed nothing the session keeps

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

  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(length_));
  }

  void live(Napi::Env env, const char* op) {
    if (disposed_) throw Napi::Error::New(env, std::string(op) + ": the session was disposed");
    if (busy_) throw Napi::Error::New(env, std::string(op) + ": a forward step is still running; await it first");
    if (r_->disposed) throw Napi::Error::New(env, std::string(op) + ": the runner was disposed");
  }

  void free_cache() {
    for (auto [p, cap] : {std::pair{k_, k_cap_}, std::pair{v_, v_cap_}}) {
      host_advise_sparse(p, cap, false);
      host_free(p, cap);
    }
    k_ = v_ = nullptr;
    buf_.reset();
  }

  Napi::ObjectReference runner_ref_;
  Runner* r_ = nullptr;
  int64_t B_ = 0, max_len_ = 0, length_ = 0;
  size_t cache_floats_ = 0, k_cap_ = 0, v_cap_ = 0;
  float *k_ = nullptr, *v_ = nullptr;
  std::vector<int32_t> mask_;  // [B, maxLen]; the first length_ of each row are held
  std::vector<int64_t> seen_;
  bool busy_ = false, disposed_ = false;
  StepBuffers buf_;
};

Napi::Value Session::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "CpuGPTJSession.forward";
  live(env, op);
  const int64_t T = arg_int(info, 1, op, "T", 1, int64_t(1) << 24);
  if (length_ + T > max_len_)
    throw_range(env, std::string(op) + ": " + std::to_string(length_ + T) +
                         " positions exceed the session's maxLength of " + std::to_string(max_len_));
  const int32_t* ids = arg_i32(info, 0, op, "ids", B_ * T);
  const bool has_mask = info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined();
  const int32_t* mask = has_mask ? arg_i32(info, 2, op, "mask", B_ * T) : nullptr;
  StepInput in;
  in.T = T;
  in.hidden = info.Length() > 3 && info[3].ToBoolean();
  in.ids.assign(ids, ids + B_ * T);
  check_step_tokens(env, op, ids, mask, B_, T, r_->V);
  r_->check_weights(op);
  const int64_t L = length_ + T;
  in.seen = seen_;
  in.positions.resize(static_cast<size_t>(B_ * T));
  step_positions(mask, B_, T, in.seen, in.positions.data());
  in.mask.resize(static_cast<size_t>(B_ * L));
  for (int64_t b = 0; b < B_; b++) {
    std::copy_n(mask_.begin() + b * max_len_, length_, in.mask.begin() + b * L);
    for (int64_t t = 0; t < T; t++) in.mask[b * L + length_ + t] = mask ? mask[b * T + t] : 1;
  }
  busy_ = true;
  r_->pin_weights();
  return StepWorker<Session, StepInput>::Start(env, info.This().As<Napi::Object>(), std::move(in));
}

// Beam search: new row i = old row rows[i] (KV cache, mask, position counters).
Napi::Value Session::Reorder(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* op = "CpuGPTJSession.reorder";
  live(env, op);
  const int32_t* rows = arg_i32(info, 0, op, "rows", B_);
  for (int64_t i = 0; i < B_; i++)
    if (rows[i] < 0 || rows[i] >= B_)
      throw_range(env,
                  std::string(op) + ": row " + std::to_string(rows[i]) + " is outside [0, " + std::to_string(B_) + ")");
  const int64_t H = r_->H, Dh = r_->Dh, row_floats = H * max_len_ * Dh, used = length_ * Dh;
  std::vector<float> tmp(static_cast<size_t>(B_ * H * used));
  run_sync([&] {
    for (float* cache : {k_, v_})
      for (size_t li = 0; li < r_->layers.size(); li++) {
        float* base = cache + li * static_cast<size_t>(B_ * row_floats);
        for (int64_t b = 0; b < B_; b++)
          for (int64_t hh = 0; hh < H; hh++)
            std::memcpy(tmp.data() + (b * H + hh) * used, base + rows[b] * row_floats + hh * max_len_ * Dh,
                        static_cast<size_t>(used) * 4);
        for (int64_t b = 0; b < B_; b++)
          for (int64_t hh = 0; hh < H; hh++)
            std::memcpy(base + b * row_floats + hh * max_len_ * Dh, tmp.data() + (b * H + hh) * used,
                        static_cast<size_t>(used) * 4);
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

// One layer's multiply-adds and weight bytes below which decoder_layers runs on one thread (see there).
constexpr int64_t kSerialLayerMacs = int64_t(16) << 20;
constexpr int64_t kSerialLayerWeightBytes = int64_t(1) << 20;

// Bytes of one layer's weight matrices as stored.
int64_t layer_weight_bytes(const Layer& l) {
  int64_t bytes = 0;
  for (const Matrix* w : {&l.q, &l.k, &l.v, &l.out, &l.fc_in, &l.fc_out})
    bytes += w->rows * w_row_bytes(wtype(w->dt), w->cols);
  return bytes;
}

float* decoder_layers(const Runner& r, const int32_t* ids, const int32_t* positions, int64_t N, StepBuffers& b,
                      const AttendFn& attend) {
  const int64_t D = r.D, H = r.H, Dh = r.Dh;
  float* x = b.x.get(N * D);
  float* h = b.h.get(N * D);
  float* q = b.q.get(N * D);
  float* k = b.k.get(N * D);
  float* v = b.v.get(N * D);
  float* att = b.att.get(N * D);
  float* ao = b.ao.get(N * D);
  float* m = b.m.get(N * r.I);
  float* mo = b.mo.get(N * D);
  auto layers = [&] {
    embedding_rows(r.wte.s->data(), r.wte.dt, r.V, D, ids, N, x);
    for (size_t li = 0; li < r.layers.size(); li++) {
      const Layer& l = r.layers[li];
      layernorm_rows(x, l.ln_g.data(), l.ln_b.data(), h, N, D, r.eps);
      linear_m(h, N, l.q, nullptr, q);
      linear_m(h, N, l.k, nullptr, k);
      linear_m(h, N, l.v, nullptr, v);
      // rows are independent in rotary: [N] rows of [H, Dh], each at its own position
      rotary_kernel(q, positions, q, 1, N, H, Dh, r.rotary_dim, true, r.rope_base);
      rotary_kernel(k, positions, k, 1, N, H, Dh, r.rotary_dim, true, r.rope_base);
      attend(li, q, k, v, att);
      linear_m(att, N, l.out, nullptr, ao);
      linear_m(h, N, l.fc_in, l.fc_in_b.data(), m);
      gelu_kernel(m, m, N * r.I, r.gelu_tanh);
      linear_m(m, N, l.fc_out, l.fc_out_b.data(), mo);
      par(N, D * 2, [&](int64_t r0, int64_t r1) {
        for (int64_t i = r0 * D; i < r1 * D; i++) x[i] = (x[i] + ao[i]) + mo[i];
      });
    }
  };
  // A small layer runs on this thread alone: inside a parallel_for every nested one runs inline (threadpool.cpp).
  // Split over the pool, a 32-row mini-code step's layers (6.6M multiply-adds each) pay a hand-off per op, about
  // seven per layer: on the shared 2-core host they took 1.17-1.31x the CPU and 1.08-1.42x the wall time of the
  // same layers on one thread (6 runs; 8, 64 and 128 rows alike; bench/pool-step.mjs with timers, alternating in
  // one process). Only weights an L2 holds (mini-code: 384 KiB a layer in f16): a decode row reading larger ones
  // from memory gets the bandwidth of both cores on an idle host (this shared one, loaded, showed no gain even at
  // 24 MiB a layer, but a user's machine is not always loaded).
  int64_t keys = 0;
  for (int64_t i = 0; i < N; i++) keys += positions[i] + 1;
  const int64_t macs = N * (4 * D * D + 2 * D * r.I) + keys * 2 * D;  // linears, then q.k and p.v
  if (macs < kSerialLayerMacs && !r.layers.empty() && layer_weight_bytes(r.layers[0]) <= kSerialLayerWeightBytes)
    parallel_for(1, [&](int64_t, int64_t) { layers(); });
  else
    layers();
  return x;
}

namespace {

// best[0] = lowest index of row's highest value (NaN skipped; 0 when none is above -Infinity), best[1] = first index
// of a NaN or +Infinity, or -1. One pass in blocks of 64: each block's max and NaN/+Infinity test vectorize (OpenMP
// simd reductions: the compiler may not otherwise reorder a float max; a NaN then only needs to set `bad`), and a
// block is searched for its index only when its max beats every earlier block's (a few times per row).
void scan_row(const float* row, int64_t V, int32_t* best) {
  float m = -INFINITY;
  int64_t arg = 0;
  int bad = 0;
  for (int64_t b = 0; b < V; b += 64) {
    const int64_t e = std::min<int64_t>(V, b + 64);
    float bm = -INFINITY;
#pragma omp simd reduction(max : bm) reduction(| : bad)
    for (int64_t i = b; i < e; i++) {
      bm = row[i] > bm ? row[i] : bm;
      bad |= !(row[i] < INFINITY);
    }
    if (bm > m) {
      m = bm;
      for (arg = b; arg < e && row[arg] != bm; arg++) {}
    }
  }
  best[0] = static_cast<int32_t>(arg);
  best[1] = -1;
  for (int64_t i = 0; bad && i < V; i++)
    if (!(row[i] < INFINITY)) {
      best[1] = static_cast<int32_t>(i);
      break;
    }
}

}  // namespace

bool PackedLmHead::pack(napi_env env, const Matrix& w) {
#if defined(__x86_64__)  // the SIMD kernels are built on x86-64 only (CMakeLists.txt)
  if (cpu_isa() != Isa::Avx512 || linear_packed_gemm() || w.cols > avx512::kSmallKMax) return true;
  type_ = wtype(w.dt);
  N_ = w.rows;
  K_ = w.cols;
  mem_ = host_alloc(avx512::small_k_panels_bytes(type_, N_, K_), &cap_);
  if (!mem_) return false;
  env_ = env;
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(cap_));
  WeightView v{w.s->data(), type_, w.dt == DType::Q8 ? q8_scales(w.s, N_, K_) : nullptr, K_};
  if (type_ == WType::Q4)
    v.group_scales = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(v.data) + q4_scales_offset(N_, K_));
  run_sync([&] { avx512::small_k_pack(v, N_, K_, mem_); });
  type_ = avx512::small_k_panel_type(type_);
#else
  (void)env, (void)w;
#endif
  return true;
}

bool PackedLmHead::linear(const float* x, int64_t M, const float* bias, float* y, int32_t* best,
                          const int32_t* skip) const {
#if defined(__x86_64__)
  if (!mem_ || M < avx512::kSmallKMinRows) return false;
  avx512::gemm_small_k_packed(x, M, avx512::SmallKPanels{mem_, type_, N_, K_}, bias, y, best, skip);
  return true;
#else
  (void)x, (void)M, (void)bias, (void)y, (void)best, (void)skip;
  return false;
#endif
}

void lm_head_rows(const Runner& r, const float* x, const int64_t* rows, int64_t n, StepBuffers& b, float* out,
                  int32_t* best, const int32_t* skip) {
  const int64_t D = r.D;
  float* sel = b.q.get(n * D);  // q and h are free once the layers ran
  float* h = b.h.get(n * D);
  for (int64_t i = 0; i < n; i++) std::memcpy(sel + i * D, x + rows[i] * D, static_cast<size_t>(D) * 4);
  layernorm_rows(sel, r.lnf_g.data(), r.lnf_b.data(), h, n, D, r.eps);
  if (r.lm_head_panels.linear(h, n, r.lm_head_b.data(), out, best, skip)) return;  // scanned as it was made
  linear_m(h, n, r.lm_head, r.lm_head_b.data(), out);
  for (int64_t i = 0; best && i < n; i++) scan_row(out + i * r.V, r.V, best + 2 * i);
}

void InitGPTJRunner(Napi::Env env, Napi::Object exports) {
  exports.Set("CpuGPTJRunner", Runner::Define(env));
  exports.Set("CpuGPTJSession", Session::Define(env));
  InitGPTJPool(env, exports);
}

}  // namespace gptj
