import { Tensor } from '@gptj/tensor';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './attention.js';
import { ParallelResidualBlock, SequentialResidualBlock } from './blocks.js';
import { KVCache } from './kv-cache.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { MLP } from './mlp.js';
import { addRef, attentionRefBSHD, geluRef, layerNormRef, linearRef, randArray, relErr } from '@gptj/tensor/testing';

const [S, H, Dh, I] = [5, 2, 8, 32];
const D = H * Dh;
const f = (n: number, seed: number, scale = 0.3) => randArray(n, seed, -scale, scale);
const W = {
  q: f(D * D, 1),
  k: f(D * D, 2),
  v: f(D * D, 3),
  o: f(D * D, 4),
  i: f(I * D, 5),
  bi: f(I, 6),
  u: f(D * I, 7),
  bu: f(D, 8),
  g1: f(D, 9, 1),
  b1: f(D, 10),
  g2: f(D, 11, 1),
  b2: f(D, 12),
};
const T = (a: Float32Array, shape: number[]) => Tensor.fromArray(a, shape);
const attn = () =>
  new MultiHeadAttention({
    q: new Linear(T(W.q, [D, D])),
    k: new Linear(T(W.k, [D, D])),
    v: new Linear(T(W.v, [D, D])),
    out: new Linear(T(W.o, [D, D])),
    heads: H,
  });
const mlp = () => new MLP(new Linear(T(W.i, [I, D]), T(W.bi, [I])), new Linear(T(W.u, [D, I]), T(W.bu, [D])), 'gelu_tanh');
const ln1 = () => new LayerNorm(T(W.g1, [D]), T(W.b1, [D]), 1e-5);
const ln2 = () => new LayerNorm(T(W.g2, [D]), T(W.b2, [D]), 1e-5);

const naiveAttn = (h: ArrayLike<number>) => {
  const p = (w: Float32Array) => linearRef(h, S, D, w, D, null);
  return linearRef(attentionRefBSHD(p(W.q), p(W.k), p(W.v), null, [1, S, H, Dh], S), S, D, W.o, D, null);
};
const naiveMlp = (h: ArrayLike<number>) => linearRef(geluRef(linearRef(h, S, D, W.i, I, W.bi), 'tanh'), S, I, W.u, D, W.bu);

const x = f(S * D, 20, 1);
const run = async (block: ParallelResidualBlock | SequentialResidualBlock) =>
  (
    await block.forward(T(x, [1, S, D]), {
      positions: Tensor.fromArray(new Int32Array([0, 1, 2, 3, 4]), [1, S], { dtype: 'i32' }),
      cache: new KVCache(1, H, S, Dh),
      offset: 0,
    })
  ).toFloat32Array();

describe('residual blocks', () => {
  it('parallel, one shared norm (GPT-J): x + attn(ln(x)) + mlp(ln(x))', async () => {
    const h = layerNormRef(x, D, W.g1, W.b1, 1e-5);
    const ref = addRef(addRef(x, naiveAttn(h)), naiveMlp(h));
    expect(relErr(await run(new ParallelResidualBlock({ attnNorm: ln1(), attn: attn(), mlp: mlp() })), ref)).toBeLessThan(1e-5);
  });

  it('parallel, two norms (GPT-NeoX): x + attn(ln1(x)) + mlp(ln2(x))', async () => {
    const ref = addRef(addRef(x, naiveAttn(layerNormRef(x, D, W.g1, W.b1, 1e-5))), naiveMlp(layerNormRef(x, D, W.g2, W.b2, 1e-5)));
    expect(relErr(await run(new ParallelResidualBlock({ attnNorm: ln1(), mlpNorm: ln2(), attn: attn(), mlp: mlp() })), ref)).toBeLessThan(1e-5);
  });

  it('sequential (GPT-2): x1 = x + attn(ln1(x)); x1 + mlp(ln2(x1))', async () => {
    const x1 = addRef(x, naiveAttn(layerNormRef(x, D, W.g1, W.b1, 1e-5)));
    const ref = addRef(x1, naiveMlp(layerNormRef(x1, D, W.g2, W.b2, 1e-5)));
    expect(relErr(await run(new SequentialResidualBlock({ attnNorm: ln1(), mlpNorm: ln2(), attn: attn(), mlp: mlp() })), ref)).toBeLessThan(1e-5);
  });
});
