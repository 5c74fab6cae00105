// Host-side entry points of every CUDA kernel family (one .cu file each). All launchers only
// enqueue work on `stream` (no synchronization, no allocation) so that the GPT-J decode step can be
// captured into a CUDA graph. Layouts are row-major and contiguous unless a stride is passed.
// Element counts are int64; pointers are device pointers.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "common/dtype.h"

namespace gptj_cuda {

// The kernels take dtype codes as plain ints (they travel in launch-argument structs); the codes are
// common/dtype.h's DType, shared with the CPU addon and src/dtype.ts.
constexpr int DT_F32 = static_cast<int>(gptj::DType::F32);
constexpr int DT_F16 = static_cast<int>(gptj::DType::F16);
constexpr int DT_BF16 = static_cast<int>(gptj::DType::BF16);
constexpr int DT_Q8 = static_cast<int>(gptj::DType::Q8);
constexpr int DT_I32 = static_cast<int>(gptj::DType::I32);

// Multiprocessor count of the current device (set once by the device context; used for grids).
void set_sm_count(int n);
int sm_count();

// ---- gemv.cu: y[M,N] = x[M,K] . W[N,K]^T (+ bias[N]) for few rows M (decode) ---------------------
// x: xdt in {f32, f16, bf16}, row stride ldx. W: wdt in {f32, f16, bf16, q8}, row stride K; q8 has
// per-row f32 `scales` (real = int8 * scales[n]). Accumulation in f32. Each warp owns one output
// row and streams W with 16-byte loads, 4 in flight per lane; rows of x are processed 8 at a time
// (W is re-read per group of 8). When one matrix's N is small the K range is split over blocks
// (split-K) and a second kernel reduces the partials from `work` (needs splits*min(M,8)*N floats;
// pass what you have).
enum Epilogue : int {
  EPI_STORE_F32 = 0,  // y f32 [M,N]  = acc + bias
  EPI_ADD_F32 = 1,    // y f32 [M,N] += acc + bias   (residual accumulation)
  EPI_GELU_X = 2,     // y xdt [M,N]  = gelu_tanh(acc + bias)  (MLP fc_in, output feeds fc_out)
};
constexpr int kMaxMats = 4;
struct GemvMat {  // one weight matrix W [N, K] and where its output rows go
  const void* w = nullptr;
  const float* scales = nullptr;  // scales: q8 only
  int64_t N = 0;
  void* y = nullptr;
  int epilogue = EPI_STORE_F32;
  const float* bias = nullptr;
};
struct GemvArgs {
  const void* x = nullptr;
  int xdt = DT_F32;
  int64_t ldx = 0, K = 0;
  int wdt = DT_F16;
  // Up to kMaxMats matrices (all of dtype wdt) on the same x in one launch, e.g. q, k, v and fc_in;
  // split-K only with one.
  GemvMat mat[kMaxMats];
  int nmat = 1;
  // Optional second term added into the same outputs (nmat == 1, no split-K): y += x2 [M, K2] . W2^T,
  // W2 [N, K2] of dtype wdt, e.g. o-proj + fc_out into the residual.
  const void* x2 = nullptr;
  int64_t ldx2 = 0, K2 = 0;
  const void* w2 = nullptr;
  const float* scales2 = nullptr;
  int64_t M = 0;
  float* work = nullptr;
  int64_t work_floats = 0;
};
// False (and nothing launched) for an unsupported x/W dtype pair or matrix layout.
bool gemv(const GemvArgs& a, cudaStream_t stream);

// ---- gemm_simt.cu: batched f32 GEMM on CUDA cores (per-op path; exact f32 like the CPU) ---------
// C[b][m,n] = sum_k A[b][m*lda + k] * B(b; k, n) (+ bias[n]), B(b;k,n) = B[boff[b] + k*sbk + n*sbn]
// of dtype bdt (q8: scaled by bscales[n], only with sbk == 1 i.e. a linear weight [N,K]).
// aoff/boff: device arrays of per-batch element offsets (nullptr = 0 for every batch); C batch b
// starts at b*M*ldc.
struct GemmSimtArgs {
  const float* A = nullptr;
  int64_t lda = 0;
  const int64_t* aoff = nullptr;
  const void* B = nullptr;
  int bdt = DT_F32;
  const float* bscales = nullptr;
  int64_t sbk = 0, sbn = 0;
  const int64_t* boff = nullptr;
  const float* bias = nullptr;
  float* C = nullptr;
  int64_t ldc = 0;
  int64_t batch = 1, M = 0, N = 0, K = 0;
};
void gemm_simt(const GemmSimtArgs& a, cudaStream_t stream);

// ---- layernorm.cu: y[r,:] = (x[r,:] - mean) / sqrt(var + eps) * gamma + beta -------------------
// x f32 [rows, D]; gamma/beta dtype f32/f16/bf16 [D]; y dtype ydt in {f32, f16, bf16}.
void layer_norm(const float* x, int64_t rows, int64_t D, const void* gamma, int gdt, const void* beta, int bdt,
                float eps, void* y, int ydt, cudaStream_t stream);

// ---- elementwise.cu -----------------------------------------------------------------------------
void gelu(const float* x, float* y, int64_t n, bool tanh_approx, cudaStream_t stream);
// y xdt [rows, N] = gelu_tanh(x f32 [rows, N] + bias[N])  (runner MLP after a GEMM)
void bias_gelu(const float* x, const float* bias, void* y, int ydt, int64_t rows, int64_t N, cudaStream_t stream);
// y f32 [rows, N] += bias[N]
void add_bias(float* y, const float* bias, int64_t rows, int64_t N, cudaStream_t stream);
void scale(const float* x, float s, float* y, int64_t n, cudaStream_t stream);
// Broadcasting binary op over an output of up to 8 dims; sa/sb are element strides of a and b per
// output dim (0 where broadcast).
struct Broadcast {
  int ndim = 0;
  int64_t shape[8] = {0};
  int64_t sa[8] = {0};
  int64_t sb[8] = {0};
};
enum BinaryOp : int { BIN_ADD = 0, BIN_MUL = 1 };
void binary(int op, const float* a, const float* b, float* y, const Broadcast& s, int64_t n, cudaStream_t stream);
// Dtype conversion among f32/f16/bf16 (round to nearest even).
void cast(const void* x, int xdt, void* y, int ydt, int64_t n, cudaStream_t stream);
// q8 quantization per row (as the CPU): scale = absmax / 127, q = rint(x / scale) (0 for an all-zero row).
void quantize_q8(const void* x, int xdt, int64_t rows, int64_t cols, int8_t* q, float* scales, cudaStream_t stream);
// q8 -> ydt (f32/f16/bf16)
void dequantize_q8(const int8_t* q, const float* scales, int64_t rows, int64_t cols, void* y, int ydt,
                   cudaStream_t stream);
// y f32 [n, D] = table[ids[i], :] (table dtype f32/f16/bf16/q8 with per-row scales). Ids outside
// [0, V) write zeros and set *bad (device int, caller zeroes it) to 1 + the first bad position seen.
void embedding(const void* table, int tdt, const float* scales, int64_t V, int64_t D, const int32_t* ids, int64_t n,
               float* y, int* bad, cudaStream_t stream);
// For every index c of s.shape: dst[c . s.sb] = src[c . s.sa] (element strides; 1/2/4-byte elements).
// Slices, transposes and concat parts are all one such copy.
void copy_strided(const void* src, void* dst, int elem_bytes, const Broadcast& s, int64_t n, cudaStream_t stream);
// Row softmax over the last dim, f32.
void softmax(const float* x, float* y, int64_t rows, int64_t V, cudaStream_t stream);

// ---- rotary_kv.cu -------------------------------------------------------------------------------
// y f32 [B,T,H,D] = rotary(x f32 [B,T,H,D]) at positions pos i32 [B,T] on the first rotary_dim dims of
// each head (the rest copied). interleaved: pairs (2i, 2i+1) (GPT-J); else halves (i, i+rd/2) (NeoX).
// inv_freq[i] = 1 / base^(2i/rd); angles and sin/cos in f32.
void rotary(const float* x, const int32_t* pos, float* y, int64_t B, int64_t T, int64_t H, int64_t D,
            int64_t rotary_dim, bool interleaved, float base, cudaStream_t stream);
// Runner: q,k,v f32 rows [B*T, H*D] (row b*T + t) from the projections. q_out f32 [B*T, H*D] gets the
// rotated q; the rotated k and plain v go to the caches kc/vc (kvdt f16/bf16, [B,H,Tmax,D]) at
// position (*len_before + t). Interleaved (GPT-J) rotary on the first rotary_dim dims.
void rotary_kv_append(const float* q, const float* k, const float* v, const int32_t* pos, const int32_t* len_before,
                      float* q_out, void* kc, void* vc, int kvdt, int64_t B, int64_t T, int64_t H, int64_t D,
                      int64_t Tmax, int64_t rotary_dim, float base, cudaStream_t stream);

// ---- attention_*.cu -----------------------------------------------------------------------------
// out[b,t,h,:] = softmax_j(q[b,t,h,:] . k[b,h,j,:] * scale) v[b,h,j,:] over keys j <= kv_len - T + t
// with mask[b*mask_stride + j] != 0 (mask may be null). q f32 [B,T,H,D]; k,v kvdt in {f32,f16,bf16}
// [B,H,Tmax,D]; out odt in {f32,f16,bf16} [B,T,H,D]. kv_len is read from *kv_len_dev when that is set
// (graph replay), else taken from kv_len. A query whose visible keys are all masked gets zeros.
struct AttnArgs {
  const float* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  int kvdt = DT_F32;
  const int32_t* mask = nullptr;
  int64_t mask_stride = 0;
  int64_t B = 0, T = 0, H = 0, D = 0, Tmax = 0;
  int64_t kv_len = 0;
  const int32_t* kv_len_dev = nullptr;
  float scale = 1.f;
  void* out = nullptr;
  int odt = DT_F32;
  float* work = nullptr;
  int64_t work_floats = 0;  // decode only, see attention_decode_work_floats
};
// Flash-decoding: each (b, t, h) is split over KV chunks of 16..256 keys (grid sized for Tmax so that
// a graph stays valid as kv_len grows), then the chunks are merged. Best for small T.
int64_t attention_decode_work_floats(int64_t B, int64_t T, int64_t H, int64_t D, int64_t Tmax);
void attention_decode(const AttnArgs& a, cudaStream_t stream);
// Tiled prefill attention with online softmax: blocks of 16 queries walk 32-key tiles up to their
// causal limit; no T x T matrix. Needs kv_len on the host (kv_len_dev ignored).
void attention_prefill(const AttnArgs& a, cudaStream_t stream);
// Flash attention on tensor cores (attention_prefill_tc.cu) for 16-bit K/V and output, D in
// {16, 32, 64, 128, 256}; returns false (nothing launched) where it does not apply or the GPU lacks
// the shared memory it needs (99 KB at D = 256, which sm_80/89/90 all allow per block), and the
// caller falls back to attention_prefill.
bool attention_prefill_tc(const AttnArgs& a, cudaStream_t stream);

// ---- argmax_topk.cu -----------------------------------------------------------------------------
// Per row of x f32 [rows, V]: index of the largest value (ties -> lower index; NaN ignored).
void argmax(const float* x, int64_t rows, int64_t V, int32_t* out, cudaStream_t stream);
// Per row: the k largest values sorted descending (ties -> lower index first), and their indices.
void topk(const float* x, int64_t rows, int64_t V, int k, float* values, int32_t* indices, cudaStream_t stream);

}  // namespace gptj_cuda
