// Rotary position embedding and causal attention over a KV cache (f32).
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "async_kernel.h"
#include "attend_query.h"
#include "op_kernels.h"
#include "rowops.h"

namespace gptj {

namespace {
constexpr int64_t kMaxDim = int64_t(1) << 31;

}  // namespace

// Rotary kernel (op_kernels.h). Frequencies as GPT-J/NeoX compute them, all in float32:
// inv_freq[i] = 1 / base^(2i / rotaryDim), angle = pos * inv_freq[i]. The product terms are rounded
// separately (x*cos + rot(x)*sin), as the reference does. out may alias x.
void rotary_kernel(const float* px, const int32_t* pp, float* po, int64_t B, int64_t T, int64_t H, int64_t D,
                   int64_t rd, bool interleaved, float base) {
  const int64_t half = rd / 2;
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; i++) inv[i] = 1.0f / std::pow(base, static_cast<float>(2 * i) / static_cast<float>(rd));
  par(B * T, H * D * 4 + half * 40, [&](int64_t r0, int64_t r1) {
    std::vector<float> sn(static_cast<size_t>(half)), cs(static_cast<size_t>(half));
    for (int64_t r = r0; r < r1; r++) {
      const float p = static_cast<float>(pp[r]);
      for (int64_t i = 0; i < half; i++) {
        const float a = p * inv[i];
        sn[i] = std::sin(a);
        cs[i] = std::cos(a);
      }
      for (int64_t h = 0; h < H; h++) {
        const float* xr = px + (r * H + h) * D;
        float* yr = po + (r * H + h) * D;
        if (interleaved) {
          for (int64_t i = 0; i < half; i++) {
            const float x0 = xr[2 * i], x1 = xr[2 * i + 1];
            const float a0 = x0 * cs[i], b0 = -x1 * sn[i];
            const float a1 = x1 * cs[i], b1 = x0 * sn[i];
            yr[2 * i] = a0 + b0;
            yr[2 * i + 1] = a1 + b1;
          }
        } else {
          for (int64_t i = 0; i < half; i++) {
            const float x0 = xr[i], x1 = xr[i + half];
            const float a0 = x0 * cs[i], b0 = -x1 * sn[i];
            const float a1 = x1 * cs[i], b1 = x0 * sn[i];
            yr[i] = a0 + b0;
            yr[i + half] = a1 + b1;
          }
        }
        if (yr != xr)
          for (int64_t i = rd; i < D; i++) yr[i] = xr[i];
      }
    }
  });
}

namespace {

// rotary(x, positions, out, B, T, H, D, rotaryDim, interleaved, base)
//   x, out: f32 [B, T, H, D]; positions: i32 [B, T]. Only the first rotaryDim dims of each head
//   rotate (interleaved: GPT-J "rotate every two", pairs (x[2i], x[2i+1]); else NeoX "rotate half",
//   pairs (x[i], x[i + rotaryDim/2])); the rest are copied.
Napi::Value Rotary(const Napi::CallbackInfo& info) {
  const char* op = "rotary";
  int64_t B = arg_int(info, 3, op, "B", 0, kMaxDim), T = arg_int(info, 4, op, "T", 0, kMaxDim);
  int64_t H = arg_int(info, 5, op, "H", 0, kMaxDim), D = arg_int(info, 6, op, "D", 0, kMaxDim);
  int64_t rd = arg_int(info, 7, op, "rotaryDim", 0, D);
  if (rd % 2 != 0) throw_range(info.Env(), "rotary: rotaryDim must be even");
  bool interleaved = arg_bool(info, 8, op, "interleaved");
  float base = static_cast<float>(arg_num(info, 9, op, "base"));
  Storage* x = arg_storage(info, 0, op, "x", 4.0 * B * T * H * D);
  Storage* pos = arg_storage(info, 1, op, "positions", 4.0 * B * T);
  Storage* o = arg_storage(info, 2, op, "out", 4.0 * B * T * H * D);
  const float* px = reinterpret_cast<const float*>(x->data());
  const int32_t* pp = reinterpret_cast<const int32_t*>(pos->data());
  float* po = reinterpret_cast<float*>(o->data());
  run_sync([&] { rotary_kernel(px, pp, po, B, T, H, D, rd, interleaved, base); });
  return info.Env().Undefined();
}

}  // namespace

// Row path (decode, and padded batch rows), one (b, h, t) query per unit.
//   q [B, T, H, D]; k, v [B, H, Tmax, D]; out [B, T, H, D]. Query t sits at absolute position L - T + t and sees keys j <= that position with mask[b, j] != 0.
// Masked keys are skipped (not multiplied by zero), so NaN/garbage in padded rows cannot leak; a
// query that sees no key at all gets zeros. The visible keys go to attend_query as runs of contiguous rows.
static void attention_rows(const AttnArgs& a) {
  const RowOps& ops = rowops();
  const int64_t units = a.B * a.H * a.T;
  par(units, a.L * a.D * 4, [&](int64_t u0, int64_t u1) {
    AttendScratch& s = AttendScratch::get(a.L, a.D, 0);
    thread_local std::vector<std::pair<int64_t, int64_t>> runs;  // [start, end) of each run of visible keys
    for (int64_t u = u0; u < u1; u++) {
      const int64_t t = u % a.T, bh = u / a.T, h = bh % a.H, b = bh / a.H;
      const float* kb = a.k + (b * a.H + h) * a.Tmax * a.D;
      const float* vb = a.v + (b * a.H + h) * a.Tmax * a.D;
      const int32_t* mr = a.mask ? a.mask + b * a.L : nullptr;
      const int64_t seen = a.L - a.T + t + 1;  // causal: keys [0, seen)
      runs.clear();
      int64_t n = 0;
      for (int64_t j = 0; j < seen;) {
        if (mr && mr[j] == 0) {
          j++;
          continue;
        }
        const int64_t j0 = j;
        while (j < seen && !(mr && mr[j] == 0)) j++;
        runs.emplace_back(j0, j);
        n += j - j0;
      }
      attend_query(ops, a.q + ((b * a.T + t) * a.H + h) * a.D, a.D, a.scale, n, s,
                   a.out + ((b * a.T + t) * a.H + h) * a.D, [&](bool values, const auto& fn) {
                     for (const auto& [j0, j1] : runs) fn((values ? vb : kb) + j0 * a.D, j1 - j0);
                   });
    }
  });
}

// Blocked path for prefill of an unpadded batch row b (mask null or all ones): per head and block
// of up to kBlock queries, S = scale * Q K^T and O = P V with the shared GEMM (itself threaded),
// softmax in between. Scores of one block are materialised: kBlock x kvLength floats.
static constexpr int64_t kBlock = 128;

static void attention_blocked(const AttnArgs& a, int64_t b, std::vector<float>& S) {
  const RowOps& ops = rowops();
  const int64_t ld = a.H * a.D;  // row stride of q and out
  for (int64_t h = 0; h < a.H; h++) {
    const float* kb = a.k + (b * a.H + h) * a.Tmax * a.D;
    const float* vb = a.v + (b * a.H + h) * a.Tmax * a.D;
    for (int64_t t0 = 0; t0 < a.T; t0 += kBlock) {
      const int64_t rows = std::min(kBlock, a.T - t0);
      const int64_t nk = a.L - a.T + t0 + rows;  // keys visible to the block's last query
      const float* qb = a.q + ((b * a.T + t0) * a.H + h) * a.D;
      float* ob = a.out + ((b * a.T + t0) * a.H + h) * a.D;
      gemm_f32(false, true, rows, nk, a.D, a.scale, qb, ld, kb, a.D, S.data(), nk);
      par(rows, nk * 8, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          float* sr = S.data() + r * nk;
          const int64_t seen = a.L - a.T + t0 + r + 1;  // causal: keys [0, seen)
          float mx = -std::numeric_limits<float>::infinity();
          for (int64_t j = 0; j < seen; j++) mx = std::max(mx, sr[j]);
          const float inv = 1.0f / ops.exp_sub_sum(sr, mx, seen);
          for (int64_t j = 0; j < seen; j++) sr[j] *= inv;
          std::fill(sr + seen, sr + nk, 0.0f);
        }
      });
      gemm_f32(false, false, rows, a.D, nk, 1.0f, S.data(), nk, vb, a.D, ob, ld);
    }
  }
}

void attention_kernel(const AttnArgs& a) {
  if (a.T < 16 || a.D == 0) {
    attention_rows(a);
    return;
  }
  std::vector<float> S(static_cast<size_t>(std::min(kBlock, a.T) * a.L));
  for (int64_t b = 0; b < a.B; b++) {
    bool padded = false;
    for (int64_t j = 0; a.mask && j < a.L && !padded; j++) padded = a.mask[b * a.L + j] == 0;
    if (!padded) {
      attention_blocked(a, b, S);
      continue;
    }
    // a padded row takes the row path, which skips masked keys instead of multiplying them by 0
    AttnArgs one = a;
    one.B = 1;
    one.q = a.q + b * a.T * a.H * a.D;
    one.k = a.k + b * a.H * a.Tmax * a.D;
    one.v = a.v + b * a.H * a.Tmax * a.D;
    one.mask = a.mask + b * a.L;
    one.out = a.out + b * a.T * a.H * a.D;
    attention_rows(one);
  }
}

namespace {

// attention(q, k, v, mask | null, out, B, T, H, D, Tmax, kvLength, scale, async)
Napi::Value Attention(const Napi::CallbackInfo& info) {
  const char* op = "attention";
  AttnArgs a{};
  a.B = arg_int(info, 5, op, "B", 0, kMaxDim);
  a.T = arg_int(info, 6, op, "T", 0, kMaxDim);
  a.H = arg_int(info, 7, op, "H", 0, kMaxDim);
  a.D = arg_int(info, 8, op, "D", 0, kMaxDim);
  a.Tmax = arg_int(info, 9, op, "Tmax", 0, kMaxDim);
  a.L = arg_int(info, 10, op, "kvLength", a.T, a.Tmax);
  a.scale = static_cast<float>(arg_num(info, 11, op, "scale"));
  bool async = arg_bool(info, 12, op, "async");
  Storage* q = arg_storage(info, 0, op, "q", 4.0 * a.B * a.T * a.H * a.D);
  Storage* k = arg_storage(info, 1, op, "k", 4.0 * a.B * a.H * a.Tmax * a.D);
  Storage* v = arg_storage(info, 2, op, "v", 4.0 * a.B * a.H * a.Tmax * a.D);
  Storage* m = nullptr;
  if (!info[3].IsNull() && !info[3].IsUndefined()) m = arg_storage(info, 3, op, "mask", 4.0 * a.B * a.L);
  Storage* o = arg_storage(info, 4, op, "out", 4.0 * a.B * a.T * a.H * a.D);
  a.q = reinterpret_cast<const float*>(q->data());
  a.k = reinterpret_cast<const float*>(k->data());
  a.v = reinterpret_cast<const float*>(v->data());
  a.mask = m ? reinterpret_cast<const int32_t*>(m->data()) : nullptr;
  a.out = reinterpret_cast<float*>(o->data());
  if (async) {
    std::vector<Storage*> pinned{q, k, v, o};
    if (m) pinned.push_back(m);
    return run_async(info.Env(), pinned, [a] { attention_kernel(a); });
  }
  run_sync([&] { attention_kernel(a); });
  return info.Env().Undefined();
}
}  // namespace

void InitAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("rotary", Napi::Function::New(env, Rotary));
  exports.Set("attention", Napi::Function::New(env, Attention));
}

}  // namespace gptj
