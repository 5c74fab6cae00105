// Elementwise and row-wise kernels: gelu, fused bias + gelu, bias add, scale, broadcasting add/mul,
// dtype casts, q8 (de)quantization, embedding gather, strided copies and softmax. All f32 math.
#include "common.cuh"

namespace gptj_cuda {
namespace {

__global__ void gelu_kernel(const float* x, float* y, int64_t n, bool tanh_approx) {
  GRID_STRIDE(i, n) y[i] = tanh_approx ? gelu_tanh(x[i]) : gelu_erf(x[i]);
}

template <typename YT>
__global__ void bias_gelu_kernel(const float* x, const float* bias, YT* y, int64_t rows, int64_t N) {
  GRID_STRIDE(i, rows * N) y[i] = from_f32<YT>(gelu_tanh(x[i] + bias[i % N]));
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t rows, int64_t N) {
  GRID_STRIDE(i, rows * N) y[i] += bias[i % N];
}

__global__ void scale_kernel(const float* x, float s, float* y, int64_t n) { GRID_STRIDE(i, n) y[i] = x[i] * s; }

// Element offsets in a and b of output element i (row-major over s.shape).
__device__ __forceinline__ void broadcast_offsets(const Broadcast& s, int64_t i, int64_t& oa, int64_t& ob) {
  oa = 0;
  ob = 0;
  for (int d = s.ndim - 1; d >= 0; --d) {
    const int64_t c = i % s.shape[d];
    i /= s.shape[d];
    oa += c * s.sa[d];
    ob += c * s.sb[d];
  }
}

__global__ void binary_kernel(int op, const float* a, const float* b, float* y, Broadcast s, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t oa, ob;
    broadcast_offsets(s, i, oa, ob);
    y[i] = op == BIN_MUL ? a[oa] * b[ob] : a[oa] + b[ob];
  }
}

template <typename YT>
__global__ void cast_kernel(const void* x, int xdt, YT* y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = from_f32<YT>(load_any(x, xdt, i));
}

// One block per row: absmax, then q = rint(x / scale).
__global__ void quantize_q8_kernel(const void* x, int xdt, int64_t cols, int8_t* q, float* scales) {
  __shared__ float red[32];
  const int64_t row = blockIdx.x, base = row * cols;
  float m = 0.f;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, fabsf(load_any(x, xdt, base + c)));
  const float absmax = block_max(m, red);
  const float s = absmax / 127.f;
  if (threadIdx.x == 0) scales[row] = s;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = s > 0.f ? rintf(load_any(x, xdt, base + c) / s) : 0.f;
    q[base + c] = static_cast<int8_t>(fminf(127.f, fmaxf(-127.f, v)));
  }
}

template <typename YT>
__global__ void dequantize_q8_kernel(const int8_t* q, const float* scales, int64_t rows, int64_t cols, YT* y) {
  GRID_STRIDE(i, rows * cols) y[i] = from_f32<YT>(static_cast<float>(q[i]) * scales[i / cols]);
}

__global__ void embedding_kernel(const void* table, int tdt, const float* scales, int64_t V, int64_t D,
                                 const int32_t* ids, int64_t n, float* y, int* bad) {
  GRID_STRIDE(i, n * D) {
    const int64_t r = i / D, d = i % D;
    const int32_t id = ids[r];
    float v = 0.f;
    if (id < 0 || id >= V) {
      if (d == 0) atomicCAS(bad, 0, static_cast<int>(r) + 1);
    } else if (tdt == DT_Q8) {
      v = static_cast<float>(static_cast<const int8_t*>(table)[id * D + d]) * scales[id];
    } else {
      v = load_any(table, tdt, id * D + d);
    }
    y[i] = v;
  }
}

template <typename T>
__global__ void copy_strided_kernel(const T* src, T* dst, Broadcast s, int64_t n) {
  GRID_STRIDE(i, n) {
    int64_t oa, ob;
    broadcast_offsets(s, i, oa, ob);
    dst[ob] = src[oa];
  }
}

__global__ void __launch_bounds__(256) softmax_kernel(const float* x, float* y, int64_t V) {
  __shared__ float red[32];
  const float* xr = x + static_cast<int64_t>(blockIdx.x) * V;
  float* yr = y + static_cast<int64_t>(blockIdx.x) * V;
  float m = -INFINITY;
  for (int64_t i = threadIdx.x; i < V; i += blockDim.x) m = fmaxf(m, xr[i]);
  m = block_max(m, red);
  float s = 0.f;
  for (int64_t i = threadIdx.x; i < V; i += blockDim.x) s += expf(xr[i] - m);
  const float inv = 1.f / block_sum(s, red);
  for (int64_t i = threadIdx.x; i < V; i += blockDim.x) yr[i] = expf(xr[i] - m) * inv;
}

}  // namespace

void gelu(const float* x, float* y, int64_t n, bool tanh_approx, cudaStream_t stream) {
  gelu_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(x, y, n, tanh_approx);
}

void bias_gelu(const float* x, const float* bias, void* y, int ydt, int64_t rows, int64_t N, cudaStream_t stream) {
  const unsigned g = grid_for(rows * N);
  if (ydt == DT_BF16)
    bias_gelu_kernel<<<g, kGridThreads, 0, stream>>>(x, bias, static_cast<__nv_bfloat16*>(y), rows, N);
  else if (ydt == DT_F16)
    bias_gelu_kernel<<<g, kGridThreads, 0, stream>>>(x, bias, static_cast<__half*>(y), rows, N);
  else
    bias_gelu_kernel<<<g, kGridThreads, 0, stream>>>(x, bias, static_cast<float*>(y), rows, N);
}

void add_bias(float* y, const float* bias, int64_t rows, int64_t N, cudaStream_t stream) {
  add_bias_kernel<<<grid_for(rows * N), kGridThreads, 0, stream>>>(y, bias, rows, N);
}

void scale(const float* x, float s, float* y, int64_t n, cudaStream_t stream) {
  scale_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(x, s, y, n);
}

void binary(int op, const float* a, const float* b, float* y, const Broadcast& s, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  binary_kernel<<<grid_for(n), kGridThreads, 0, stream>>>(op, a, b, y, s, n);
}

void cast(const void* x, int xdt, void* y, int ydt, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  const unsigned g = grid_for(n);
  if (ydt == DT_F16)
    cast_kernel<<<g, kGridThreads, 0, stream>>>(x, xdt, static_cast<__half*>(y), n);
  else if (ydt == DT_BF16)
    cast_kernel<<<g, kGridThreads, 0, stream>>>(x, xdt, static_cast<__nv_bfloat16*>(y), n);
  else
    cast_kernel<<<g, kGridThreads, 0, stream>>>(x, xdt, static_cast<float*>(y), n);
}

void quantize_q8(const void* x, int xdt, int64_t rows, int64_t cols, int8_t* q, float* scales, cudaStream_t stream) {
  if (rows == 0) return;
  quantize_q8_kernel<<<static_cast<unsigned>(rows), 256, 0, stream>>>(x, xdt, cols, q, scales);
}

void dequantize_q8(const int8_t* q, const float* scales, int64_t rows, int64_t cols, void* y, int ydt,
                   cudaStream_t stream) {
  if (rows * cols == 0) return;
  const unsigned g = grid_for(rows * cols);
  if (ydt == DT_F16)
    dequantize_q8_kernel<<<g, kGridThreads, 0, stream>>>(q, scales, rows, cols, static_cast<__half*>(y));
  else if (ydt == DT_BF16)
    dequantize_q8_kernel<<<g, kGridThreads, 0, stream>>>(q, scales, rows, cols, static_cast<__nv_bfloat16*>(y));
  else
    dequantize_q8_kernel<<<g, kGridThreads, 0, stream>>>(q, scales, rows, cols, static_cast<float*>(y));
}

void embedding(const void* table, int tdt, const float* scales, int64_t V, int64_t D, const int32_t* ids, int64_t n,
               float* y, int* bad, cudaStream_t stream) {
  if (n * D == 0) return;
  embedding_kernel<<<grid_for(n * D), kGridThreads, 0, stream>>>(table, tdt, scales, V, D, ids, n, y, bad);
}

void copy_strided(const void* src, void* dst, int elem_bytes, const Broadcast& s, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  const unsigned g = grid_for(n);
  if (elem_bytes == 1)
    copy_strided_kernel<<<g, kGridThreads, 0, stream>>>(static_cast<const int8_t*>(src), static_cast<int8_t*>(dst), s,
                                                        n);
  else if (elem_bytes == 2)
    copy_strided_kernel<<<g, kGridThreads, 0, stream>>>(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst),
                                                        s, n);
  else
    copy_strided_kernel<<<g, kGridThreads, 0, stream>>>(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst),
                                                        s, n);
}

void softmax(const float* x, float* y, int64_t rows, int64_t V, cudaStream_t stream) {
  if (rows == 0) return;
  softmax_kernel<<<static_cast<unsigned>(rows), 256, 0, stream>>>(x, y, V);
}

}  // namespace gptj_cuda
