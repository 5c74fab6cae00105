// The ops both addons export with one signature (inputs, output, dims, then parameters: native/common), and the
// Backend methods that only turn tensors into those arguments, written once for the CPU and CUDA backends. Each
// backend adds what differs: its storage, cast, linear and attention.
import type { Backend } from './backend.js';
import { DTYPE_CODE, elementBytes, matrixDims } from './dtype.js';
import { callNative } from './native-errors.js';
import type { Tensor } from './tensor.js';

/** Op bindings with the same signature in gptj_cpu.node and gptj_cuda.node; S is the addon's storage handle. */
export interface SharedOpBindings<S> {
  matmul(a: S, b: S, out: S, batchShape: number[], aBatchStrides: number[], bBatchStrides: number[], M: number, K: number, N: number): void;
  binary(op: 0 | 1, a: S, b: S, out: S, shape: number[], aStrides: number[], bStrides: number[]): void;
  stridedCopy(src: S, dst: S, elemBytes: number, shape: number[], srcStrides: number[], srcOffset: number, dstStrides: number[], dstOffset: number): void;
  scale(x: S, out: S, n: number, s: number): void;
  gelu(x: S, out: S, n: number, tanhApprox: boolean): void;
  layerNorm(x: S, gamma: S, gammaDtype: number, beta: S, betaDtype: number, out: S, rows: number, D: number, eps: number): void;
  softmax(x: S, out: S, rows: number, V: number): void;
  rotary(x: S, positions: S, out: S, B: number, T: number, H: number, D: number, rotaryDim: number, interleaved: boolean, base: number): void;
  cast(x: S, xDtype: number, out: S, outDtype: number, rows: number, cols: number): void;
  embedding(table: S, tableDtype: number, V: number, D: number, ids: S, n: number, out: S): void;
  argmax(x: S, rows: number, V: number, out: S): void;
  topk(x: S, rows: number, V: number, k: number, values: S, indices: S): void;
}

export type SharedOps = Pick<
  Backend,
  'matmul' | 'binary' | 'stridedCopy' | 'scale' | 'gelu' | 'layerNorm' | 'softmax' | 'rotary' | 'embedding' | 'argmax' | 'topk'
>;

/** The Backend methods over `addon`'s shared bindings. */
export function sharedOps<S>(addon: SharedOpBindings<S>): SharedOps {
  const st = (t: Tensor): S => t.storage as S;
  return {
    matmul(a, b, out, batch) {
      const M = a.shape[a.shape.length - 2],
        K = a.shape[a.shape.length - 1],
        N = b.shape[b.shape.length - 1];
      callNative('matmul', () => addon.matmul(st(a), st(b), st(out), batch.shape, batch.aStrides, batch.bStrides, M, K, N));
    },
    binary(op, a, b, out, l) {
      callNative(op, () => addon.binary(op === 'add' ? 0 : 1, st(a), st(b), st(out), l.shape, l.aStrides, l.bStrides));
    },
    stridedCopy(src, dst, l) {
      callNative('copy', () => addon.stridedCopy(st(src), st(dst), elementBytes(src.dtype), l.shape, l.srcStrides, l.srcOffset, l.dstStrides, l.dstOffset));
    },
    scale: (x, s, out) => callNative('scale', () => addon.scale(st(x), st(out), x.size, s)),
    gelu: (x, approximate, out) => callNative('gelu', () => addon.gelu(st(x), st(out), x.size, approximate === 'tanh')),
    layerNorm(x, gamma, beta, eps, out) {
      const [rows, D] = matrixDims(x.shape);
      callNative('layerNorm', () => addon.layerNorm(st(x), st(gamma), DTYPE_CODE[gamma.dtype], st(beta), DTYPE_CODE[beta.dtype], st(out), rows, D, eps));
    },
    softmax(x, out) {
      const [rows, V] = matrixDims(x.shape);
      callNative('softmax', () => addon.softmax(st(x), st(out), rows, V));
    },
    rotary(x, positions, rotaryDim, style, base, out) {
      const [B, T, H, D] = x.shape;
      callNative('rotary', () => addon.rotary(st(x), st(positions), st(out), B, T, H, D, rotaryDim, style === 'interleaved', base));
    },
    embedding(table, ids, out) {
      const [V, D] = table.shape;
      callNative('embedding', () => addon.embedding(st(table), DTYPE_CODE[table.dtype], V, D, st(ids), ids.size, st(out)));
    },
    argmax(x, out) {
      const [rows, V] = matrixDims(x.shape);
      callNative('argmax', () => addon.argmax(st(x), rows, V, st(out)));
    },
    topk(x, k, values, indices) {
      const [rows, V] = matrixDims(x.shape);
      callNative('topk', () => addon.topk(st(x), rows, V, k, st(values), st(indices)));
    },
  };
}
