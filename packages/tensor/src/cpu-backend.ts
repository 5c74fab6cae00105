// The CPU backend: every kernel is a call into gptj_cpu.node with the tensors' native Storage.
import { registerCpuBackend, type Backend, type BackendStorage } from './backend.js';
import { DTYPE_CODE, elementBytes, matrixDims } from './dtype.js';
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
  matmul(a, b, out, batch) {
    const M = a.shape[a.shape.length - 2],
      K = a.shape[a.shape.length - 1],
      N = b.shape[b.shape.length - 1];
    callNative('matmul', () => cpu.matmul(st(a), st(b), st(out), batch.shape, batch.aStrides, batch.bStrides, M, K, N));
  },
  binary(op, a, b, out, l) {
    callNative(op, () => cpu.binary(op === 'add' ? 0 : 1, st(a), st(b), st(out), l.shape, l.aStrides, l.bStrides));
  },
  scale: (x, s, out) => callNative('scale', () => cpu.scale(st(x), st(out), x.size, s)),
  gelu: (x, approximate, out) => callNative('gelu', () => cpu.gelu(st(x), st(out), x.size, approximate === 'tanh')),
  layerNorm(x, gamma, beta, eps, out) {
    const [rows, D] = matrixDims(x.shape);
    callNative('layerNorm', () => cpu.layerNorm(st(x), st(gamma), DTYPE_CODE[gamma.dtype], st(beta), DTYPE_CODE[beta.dtype], st(out), rows, D, eps));
  },
  softmax(x, out) {
    const [rows, V] = matrixDims(x.shape);
    callNative('softmax', () => cpu.softmax(st(x), st(out), rows, V));
  },
  rotary(x, positions, rotaryDim, style, base, out) {
    const [B, T, H, D] = x.shape;
    callNative('rotary', () => cpu.rotary(st(x), st(positions), st(out), B, T, H, D, rotaryDim, style === 'interleaved', base));
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
  stridedCopy(src, dst, l) {
    callNative('copy', () => cpu.stridedCopy(st(src), st(dst), elementBytes(src.dtype), l.shape, l.srcStrides, l.srcOffset, l.dstStrides, l.dstOffset));
  },
  embedding(table, ids, out) {
    const [V, D] = table.shape;
    callNative('embedding', () => cpu.embedding(st(table), DTYPE_CODE[table.dtype], V, D, st(ids), ids.size, st(out)));
  },
  argmax(x, out) {
    const [rows, V] = matrixDims(x.shape);
    callNative('argmax', () => cpu.argmax(st(x), rows, V, st(out)));
  },
  topk(x, k, values, indices) {
    const [rows, V] = matrixDims(x.shape);
    callNative('topk', () => cpu.topk(st(x), rows, V, k, st(values), st(indices)));
  },
};

registerCpuBackend(cpuBackend);
