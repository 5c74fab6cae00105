// The CPU backend: every kernel is a call into gptj_cpu.node with the tensors' native Storage.
import { sharedOps } from './addon-ops.js';
import { registerCpuBackend, type Backend, type BackendStorage } from './backend.js';
import { DTYPE_CODE, matrixDims } from './dtype.js';
import { cpu, type NativeStorage } from './native.js';
import { callNative, nativeError } from './native-errors.js';
import type { Tensor } from './tensor.js';

const st = (t: Tensor): NativeStorage => t.storage as NativeStorage;

async function nativeAsync(op: string, p: Promise<void> | undefined): Promise<void> {
  try {
    await p;
  } catch (e) {
    throw nativeError(op, e);
  }
}

/** Zero-copy CPU storage over host bytes (Tensor.fromBytes). */
export function cpuStorageView(bytes: Uint8Array): BackendStorage {
  return callNative('Tensor.fromBytes', () => new cpu.Storage(bytes));
}

export const cpuBackend: Backend = {
  device: 'cpu',
  ...sharedOps(cpu),
  alloc: (n, zero) => callNative('alloc', () => new cpu.Storage(n, zero)),
  upload(bytes) {
    const s = callNative('upload', () => new cpu.Storage(bytes.byteLength, false));
    s.write(0, bytes);
    return s;
  },
  download: (src, off, dst) => callNative('download', () => (src as NativeStorage).read(off, dst)),
  write: (dst, off, src) => callNative('write', () => (dst as NativeStorage).write(off, src)),

  cast(x, out) {
    const [rows, cols] = matrixDims(x.shape);
    callNative('cast', () => cpu.cast(st(x), DTYPE_CODE[x.dtype], st(out), DTYPE_CODE[out.dtype], rows, cols));
  },
  linear(x, w, bias, out) {
    const K = x.shape[x.shape.length - 1],
      N = w.shape[0];
    callNative('linear', () => cpu.linear(st(x), st(w), DTYPE_CODE[w.dtype], bias ? st(bias) : null, st(out), x.size / K, K, N, false));
  },
  linearAsync(x, w, bias, out) {
    const K = x.shape[x.shape.length - 1],
      N = w.shape[0];
    return nativeAsync(
      'linearAsync',
      callNative('linearAsync', () => cpu.linear(st(x), st(w), DTYPE_CODE[w.dtype], bias ? st(bias) : null, st(out), x.size / K, K, N, true)),
    );
  },
  attention(q, k, v, mask, kvLength, scale, out) {
    const [B, T, H, D] = q.shape;
    callNative('attention', () => cpu.attention(st(q), st(k), st(v), mask ? st(mask) : null, st(out), B, T, H, D, k.shape[2], kvLength, scale, false));
  },
  attentionAsync(q, k, v, mask, kvLength, scale, out) {
    const [B, T, H, D] = q.shape;
    return nativeAsync(
      'attentionAsync',
      callNative('attentionAsync', () => cpu.attention(st(q), st(k), st(v), mask ? st(mask) : null, st(out), B, T, H, D, k.shape[2], kvLength, scale, true)),
    );
  },
};

registerCpuBackend(cpuBackend);
