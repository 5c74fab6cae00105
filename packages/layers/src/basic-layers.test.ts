import { Tensor } from '@gptj/tensor';
import { describe, expect, it } from 'vitest';
import { Embedding } from './embedding.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { MLP } from './mlp.js';
import { geluRef, layerNormRef, linearRef, randArray, relErr } from '@gptj/tensor/testing';

const t = (data: Float32Array, shape: number[], dtype: 'f32' | 'f16' | 'bf16' | 'q8' = 'f32') => Tensor.fromArray(data, shape, { dtype });

describe('Linear', () => {
  const [m, k, n] = [5, 48, 24];
  const x = randArray(m * k, 1, -1, 1);
  const w = randArray(n * k, 2, -0.2, 0.2);
  const b = randArray(n, 3, -1, 1);
  const ref = linearRef(x, m, k, w, n, b);

  it('matches x @ W^T + b in f32, async and sync, with leading dims', async () => {
    const lin = new Linear(t(w, [n, k]), t(b, [n]));
    const y = await lin.forward(t(x, [1, m, k]));
    expect(y.shape).toEqual([1, m, n]);
    expect(relErr(y.toFloat32Array(), ref)).toBeLessThan(1e-6);
    expect(relErr(lin.forwardSync(t(x, [m, k])).toFloat32Array(), ref)).toBeLessThan(1e-6);
    expect(relErr((await new Linear(t(w, [n, k])).forward(t(x, [m, k]))).toFloat32Array(), linearRef(x, m, k, w, n, null))).toBeLessThan(1e-6);
  });

  it.each([
    ['f16', 2e-3],
    ['bf16', 1e-2],
    ['q8', 2e-2],
  ] as const)('uses %s weights as stored (error < %d)', async (dtype, bound) => {
    const y = await new Linear(t(w, [n, k], dtype), t(b, [n])).forward(t(x, [m, k]));
    expect(relErr(y.toFloat32Array(), ref)).toBeLessThan(bound);
  });

  it('rejects weights and biases of the wrong rank or size', () => {
    expect(() => new Linear(t(w, [n * k]))).toThrow(/weight must be \[out, in\]/);
    expect(() => new Linear(t(w, [n, k]), t(b.subarray(0, 3), [3]))).toThrow(/bias must be \[24\]/);
  });
});

describe('LayerNorm', () => {
  it('matches the naive normalization over the last dim', () => {
    const d = 64;
    const x = randArray(3 * d, 4, -3, 3);
    const g = randArray(d, 5, -1, 1);
    const b = randArray(d, 6, -1, 1);
    const y = new LayerNorm(t(g, [d]), t(b, [d]), 1e-5).forward(t(x, [3, d]));
    expect(relErr(y.toFloat32Array(), layerNormRef(x, d, g, b, 1e-5))).toBeLessThan(1e-5);
  });
});

describe('Embedding', () => {
  it('gathers rows of the table', () => {
    const table = randArray(10 * 4, 7, -1, 1);
    const y = new Embedding(t(table, [10, 4])).forward(Tensor.fromArray(new Int32Array([3, 0, 9, 3]), [2, 2], { dtype: 'i32' }));
    expect(y.shape).toEqual([2, 2, 4]);
    const rows = [3, 0, 9, 3].flatMap((r) => [...table.subarray(r * 4, r * 4 + 4)]);
    expect([...y.toFloat32Array()]).toEqual(rows);
  });
});

describe('MLP', () => {
  it.each(['gelu_tanh', 'gelu'] as const)('computes fcOut(%s(fcIn(x)))', async (act) => {
    const [m, d, i] = [3, 16, 64];
    const x = randArray(m * d, 8, -1, 1);
    const w1 = randArray(i * d, 9, -0.3, 0.3);
    const b1 = randArray(i, 10, -1, 1);
    const w2 = randArray(d * i, 11, -0.3, 0.3);
    const b2 = randArray(d, 12, -1, 1);
    const mlp = new MLP(new Linear(t(w1, [i, d]), t(b1, [i])), new Linear(t(w2, [d, i]), t(b2, [d])), act);
    const ref = linearRef(geluRef(linearRef(x, m, d, w1, i, b1), act === 'gelu' ? 'none' : 'tanh'), m, i, w2, d, b2);
    expect(relErr((await mlp.forward(t(x, [m, d]))).toFloat32Array(), ref)).toBeLessThan(1e-5);
  });
});
