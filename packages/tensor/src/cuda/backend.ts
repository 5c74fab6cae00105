// The CUDA backend: each kernel is one synchronous call into gptj_cuda.node that enqueues work on
// the device stream and returns (a launch does not wait for the GPU). Results reach the host only
// through `download` (Tensor.toFloat32Array / .to('cpu')), which waits for the queued work.
// Activations are f32 here, exactly like the CPU backend; weights may be f16/bf16/q8.
// Importing this module registers the backend with the dispatcher; the addon itself is loaded on
// first use of device 'cuda' (see addon.ts).
import { sharedOps } from '../addon-ops.js';
import { registerCudaBackend, type Backend, type BackendStorage } from '../backend.js';
import { DTYPE_CODE, matrixDims } from '../dtype.js';
import { callNative } from '../native-errors.js';
import type { Tensor } from '../tensor.js';
import { loadCudaAddon, type CudaAddon, type DeviceStorage } from './addon.js';

const st = (t: Tensor): DeviceStorage => t.storage as DeviceStorage;

export function createCudaBackend(cuda: CudaAddon): Backend {
  const backend: Backend = {
    device: 'cuda',
    ...sharedOps(cuda),
    alloc: (n, zero) => callNative('alloc', () => new cuda.DeviceStorage(n, zero)),
    upload(bytes): BackendStorage {
      const s = callNative('upload', () => new cuda.DeviceStorage(bytes.byteLength, false));
      callNative('upload', () => s.write(0, bytes));
      return s;
    },
    download: (src, off, dst) => callNative('download', () => (src as DeviceStorage).read(off, dst)),
    write: (dst, off, src) => callNative('write', () => (dst as DeviceStorage).write(off, src)),

    cast(x, out) {
      const [rows, cols] = matrixDims(x.shape);
      callNative('cast', () => {
        if (x.dtype === out.dtype) st(out).copyFrom(0, st(x), 0, st(x).byteLength);
        else if (out.dtype === 'q8') cuda.quantizeQ8(st(x), DTYPE_CODE[x.dtype], rows, cols, st(out));
        else if (x.dtype === 'q8') cuda.dequantizeQ8(st(x), rows, cols, st(out), DTYPE_CODE[out.dtype]);
        else cuda.cast(st(x), DTYPE_CODE[x.dtype], st(out), DTYPE_CODE[out.dtype], rows, cols);
      });
    },
    linear(x, w, bias, out) {
      const K = x.shape[x.shape.length - 1],
        N = w.shape[0];
      callNative('linear', () => cuda.linear(st(x), st(w), DTYPE_CODE[w.dtype], bias ? st(bias) : null, st(out), x.size / K, K, N));
    },
    // GPU work is already off the JS thread; the promise settles once the kernels are queued, and
    // any read of `out` waits for them (stream order).
    async linearAsync(x, w, bias, out) {
      backend.linear(x, w, bias, out);
    },
    attention(q, k, v, mask, kvLength, scale, out) {
      const [B, T, H, D] = q.shape;
      callNative('attention', () => cuda.attention(st(q), st(k), st(v), mask ? st(mask) : null, st(out), B, T, H, D, k.shape[2], kvLength, scale));
    },
    async attentionAsync(q, k, v, mask, kvLength, scale, out) {
      backend.attention(q, k, v, mask, kvLength, scale, out);
    },
  };
  return backend;
}

registerCudaBackend(() => {
  const r = loadCudaAddon();
  if (!r.addon) throw new Error(r.reason);
  return createCudaBackend(r.addon);
});
