import { Tensor } from '@gptj/tensor';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './attention.js';
import { SequentialResidualBlock } from './blocks.js';
import { Decoder } from './decoder.js';
import { Embedding } from './embedding.js';
import { KVCache } from './kv-cache.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { MLP } from './mlp.js';
import { addRef, attentionRefBSHD, geluRef, layerNormRef, linearRef, randArray, relErr } from '@gptj/tensor/testing';

// A two-block GPT-2-shaped decoder: learned positions, sequential blocks, head tied to the token table.
const [V, P, H, Dh, I, L] = [20, 8, 2, 8, 32, 2];
const D = H * Dh;
const f = (n: number, seed: number, scale = 0.3) => randArray(n, seed, -scale, scale);
const wte = f(V * D, 1, 1);
const wpe = f(P * D, 2, 1);
const layers = Array.from({ length: L }, (_, l) => {
  const s = 20 * (l + 1);
  return {
    q: f(D * D, s),
    k: f(D * D, s + 1),
    v: f(D * D, s + 2),
    o: f(D * D, s + 3),
    i: f(I * D, s + 4),
    bi: f(I, s + 5),
    u: f(D * I, s + 6),
    bu: f(D, s + 7),
    g1: f(D, s + 8, 1),
    b1: f(D, s + 9),
    g2: f(D, s + 10, 1),
    b2: f(D, s + 11),
  };
});
const gf = f(D, 90, 1);
const bf = f(D, 91);
const T = (a: Float32Array, shape: number[]) => Tensor.fromArray(a, shape);
const ids = [3, 17, 0, 5, 19, 8];

function decoder(): Decoder {
  const table = T(wte, [V, D]);
  const blocks = layers.map(
    (w) =>
      new SequentialResidualBlock({
        attnNorm: new LayerNorm(T(w.g1, [D]), T(w.b1, [D]), 1e-5),
        mlpNorm: new LayerNorm(T(w.g2, [D]), T(w.b2, [D]), 1e-5),
        attn: new MultiHeadAttention({
          q: new Linear(T(w.q, [D, D])),
          k: new Linear(T(w.k, [D, D])),
          v: new Linear(T(w.v, [D, D])),
          out: new Linear(T(w.o, [D, D])),
          heads: H,
        }),
        mlp: new MLP(new Linear(T(w.i, [I, D]), T(w.bi, [I])), new Linear(T(w.u, [D, I]), T(w.bu, [D])), 'gelu_tanh'),
      }),
  );
  return new Decoder({
    tokens: new Embedding(table),
    positions: new Embedding(T(wpe, [P, D])),
    blocks,
    finalNorm: new LayerNorm(T(gf, [D]), T(bf, [D]), 1e-5),
    head: new Linear(table),
  });
}

function naiveLogits(): Float64Array {
  const n = ids.length;
  let x: Float64Array = new Float64Array(n * D);
  ids.forEach((id, t) => {
    for (let e = 0; e < D; e++) x[t * D + e] = wte[id * D + e]! + wpe[t * D + e]!;
  });
  for (const w of layers) {
    const h = layerNormRef(x, D, w.g1, w.b1, 1e-5);
    const p = (m: Float32Array) => linearRef(h, n, D, m, D, null);
    x = addRef(x, linearRef(attentionRefBSHD(p(w.q), p(w.k), p(w.v), null, [1, n, H, Dh], n), n, D, w.o, D, null));
    const h2 = layerNormRef(x, D, w.g2, w.b2, 1e-5);
    x = addRef(x, linearRef(geluRef(linearRef(h2, n, D, w.i, I, w.bi), 'tanh'), n, I, w.u, D, w.bu));
  }
  return linearRef(layerNormRef(x, D, gf, bf, 1e-5), n, D, wte, V, null);
}

const i32 = (a: number[]) => Tensor.fromArray(new Int32Array(a), [1, a.length], { dtype: 'i32' });
const caches = () => layers.map(() => new KVCache(1, H, P, Dh));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Decoder', () => {
  it('embeddings + positions -> blocks -> final norm -> tied head matches the naive composition', async () => {
    const logits = await decoder().forward(i32(ids), { positions: i32(range(0, ids.length)), caches: caches(), offset: 0 });
    expect(logits.shape).toEqual([1, ids.length, V]);
    expect(relErr(logits.toFloat32Array(), naiveLogits())).toBeLessThan(1e-5);
  });

  it('a prefill then one-token steps over the caches gives the full pass logits', async () => {
    const model = decoder();
    const kv = caches();
    const parts = [await model.forward(i32(ids.slice(0, 3)), { positions: i32(range(0, 3)), caches: kv, offset: 0 })];
    for (const [t, id] of ids.entries()) {
      if (t >= 3) parts.push(await model.forward(i32([id]), { positions: i32([t]), caches: kv, offset: t }));
    }
    const stepped = Float32Array.from(parts.flatMap((p) => [...p.toFloat32Array()]));
    expect(relErr(stepped, naiveLogits())).toBeLessThan(1e-5);
  });

  it('names the mismatch when the caches do not match the blocks', async () => {
    await expect(decoder().forward(i32(ids), { positions: i32(range(0, ids.length)), caches: caches().slice(1), offset: 0 })).rejects.toThrow(
      'Decoder: 2 blocks need 2 KV caches, got 1',
    );
  });

  it('disposes a head tied to the token table without error', () => {
    const model = decoder();
    model.dispose();
    expect(model.parts.tokens.table.disposed).toBe(true);
  });
});
