// The CUDA backend: each kernel is one synchronous call into gptj_cuda.node that enqueues work on
// the device stream and returns (a launch does not wait for the GPU). Results reach the host only
// through `download` (Tensor.toFloat32Array / .to('cpu')), which waits for the queued work.
// Activations are f32 here, exactly like the CPU backend; weights may be f16/bf16/q8.
// Importing this module registers the backend with the dispatcher; the addon itself is loaded on
// first use of device 'cuda' (see addon.ts).
import { registerCudaBackend, type Backend, type BackendStorage } from '../backend.js';
import { DTYPE_CODE, elementBytes } from '../dtype.js';
import { DisposedError, IndexError, TensorError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { loadCudaAddon, type CudaAddon, type DeviceStorage } from './addon.js';

const st = (t: Tensor): DeviceStorage => t.storage as DeviceStorage;

/** [rows, cols] of a tensor seen as a matrix over its last dim. */
function rowsCols(t: Tensor): [number, number] {
  const cols = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1];
  return [cols === 0 ? 0 : t.size / cols, cols];
}

/** Re-throws an addon exception as the TensorError subclass that fits, naming the op. */
function native<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TensorError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/disposed/.test(msg)) throw new DisposedError(`${op}: ${msg}`);
    if (e instanceof RangeError && op === 'embedding') throw new IndexError(msg);
    throw new TensorError(msg.startsWith(op) ? msg : `${op}: ${msg}`);
  }
}

/** Element offsets of every matrix of a batched matmul (row-major walk over the batch shape). */
function batchOffsets(shape: readonly number[], strides: readonly number[], matrixElems: number): number[] {
  const total = shape.reduce((a, b) => a * b, 1);
  const out = new Array<number>(total);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < total; i++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += idx[d] * strides[d];
    out[i] = off * matrixElems;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export function createCudaBackend(cuda: CudaAddon): Backend {
  const backend: Backend = {
    device: 'cuda',
    alloc: (n, zero) => native('alloc', () => new cuda.DeviceStorage(n, zero)),
    upload(bytes): BackendStorage {
      const s = native('upload', () => new cuda.DeviceStorage(bytes.byteLength, false));
      native('upload', () => s.write(0, bytes));
      return s;
    },
    download: (src, off, dst) => native('download', () => (src as DeviceStorage).read(off, dst)),

    cast(x, out) {
      const [rows, cols] = rowsCols(x);
      native('cast', () => {
        if (x.dtype === out.dtype) st(out).copyFrom(0, st(x), 0, st(x).byteLength);
        else if (out.dtype === 'q8') cuda.quantizeQ8(st(x), DTYPE_CODE[x.dtype], rows, cols, st(out));
        else if (x.dtype === 'q8') cuda.dequantizeQ8(st(x), rows, cols, st(out), DTYPE_CODE[out.dtype]);
        else cuda.cast(st(x), DTYPE_CODE[x.dtype], st(out), DTYPE_CODE[out.dtype], x.size);
      });
    },
    linear(x, w, bias, out) {
      const K = x.shape[x.shape.length - 1], N = w.shape[0];
      native('linear', () => cuda.linear(st(x), x.size / K, K, st(w), DTYPE_CODE[w.dtype], bias ? st(bias) : null, st(out), N));
    },
    // GPU work is already off the JS thread; the promise settles once the kernels are queued, and
    // any read of `out` waits for them (stream order).
    async linearAsync(x, w, bias, out) {
      backend.linear(x, w, bias, out);
    },
    matmul(a, b, out, batch) {
      const M = a.shape[a.shape.length - 2], K = a.shape[a.shape.length - 1], N = b.shape[b.shape.length - 1];
      const ao = batchOffsets(batch.shape, batch.aStrides, M * K);
      const bo = batchOffsets(batch.shape, batch.bStrides, K * N);
      native('matmul', () => cuda.matmul(st(a), st(b), st(out), M, K, N, ao, bo));
    },
    binary(op, a, b, out, l) {
      native(op, () => cuda.binary(op === 'add' ? 0 : 1, st(a), st(b), st(out), l.shape, l.aStrides, l.bStrides));
    },
    scale: (x, s, out) => native('scale', () => cuda.scale(st(x), s, st(out), x.size)),
    gelu: (x, approximate, out) => native('gelu', () => cuda.gelu(st(x), st(out), x.size, approximate === 'tanh')),
    layerNorm(x, gamma, beta, eps, out) {
      const [rows, D] = rowsCols(x);
      native('layerNorm', () =>
        cuda.layerNorm(st(x), rows, D, st(gamma), DTYPE_CODE[gamma.dtype], st(beta), DTYPE_CODE[beta.dtype], eps, st(out)));
    },
    softmax(x, out) {
      const [rows, V] = rowsCols(x);
      native('softmax', () => cuda.softmax(st(x), st(out), rows, V));
    },
    rotary(x, positions, rotaryDim, style, base, out) {
      const [B, T, H, D] = x.shape;
      native('rotary', () => cuda.rotary(st(x), st(positions), st(out), B, T, H, D, rotaryDim, style === 'interleaved', base));
    },
    attention(q, k, v, mask, kvLength, scale, out) {
      const [B, T, H, D] = q.shape;
      native('attention', () =>
        cuda.attention(st(q), st(k), st(v), mask ? st(mask) : null, B, T, H, D, k.shape[2], kvLength, scale, st(out)));
    },
    async attentionAsync(q, k, v, mask, kvLength, scale, out) {
      backend.attention(q, k, v, mask, kvLength, scale, out);
    },
    stridedCopy(src, dst, l) {
      native('copy', () =>
        cuda.copyStrided(st(src), l.srcOffset, st(dst), l.dstOffset, elementBytes(src.dtype), l.shape, l.srcStrides, l.dstStrides));
    },
    embedding(table, ids, out) {
      const [V, D] = table.shape;
      native('embedding', () => cuda.embedding(st(table), DTYPE_CODE[table.dtype], V, D, st(ids), ids.size, st(out)));
    },
    argmax(x, out) {
      const [rows, V] = rowsCols(x);
      native('argmax', () => cuda.argmax(st(x), rows, V, st(out)));
    },
    topk(x, k, values, indices) {
      const [rows, V] = rowsCols(x);
      native('topk', () => cuda.topk(st(x), rows, V, k, st(values), st(indices)));
    },
  };
  return backend;
}

registerCudaBackend(() => {
  const r = loadCudaAddon();
  if (!r.addon) throw new Error(r.reason);
  return createCudaBackend(r.addon);
});
