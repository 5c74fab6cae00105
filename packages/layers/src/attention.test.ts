import { ShapeError, Tensor } from '@gptj/tensor';
import { describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './attention.js';
import { KVCache } from './kv-cache.js';
import { Linear } from './linear.js';
import { RotaryEmbedding } from './rotary.js';
import { attentionRefBSHD, linearRef, randArray, relErr, rotaryRef } from '@gptj/tensor/testing';

const [H, Dh] = [4, 8];
const D = H * Dh;
const W = [101, 102, 103, 104].map((seed) => randArray(D * D, seed, -0.3, 0.3)) as [Float32Array, Float32Array, Float32Array, Float32Array];
const rope = new RotaryEmbedding({ rotaryDim: 4, style: 'interleaved' });
const mha = new MultiHeadAttention({
  q: new Linear(Tensor.fromArray(W[0], [D, D])),
  k: new Linear(Tensor.fromArray(W[1], [D, D])),
  v: new Linear(Tensor.fromArray(W[2], [D, D])),
  out: new Linear(Tensor.fromArray(W[3], [D, D])),
  heads: H,
  rotary: rope,
});
const i32 = (rows: number[][]) => Tensor.fromArray(new Int32Array(rows.flat()), [rows.length, rows[0]?.length ?? 0], { dtype: 'i32' });

/** The whole layer, naively: x [B, S, D], positions [B][S], mask [B][S] -> [B, S, D]. */
function reference(x: Float32Array, b: number, s: number, positions: number[][], mask: number[][] | null): Float64Array {
  const pos = new Int32Array(positions.flat());
  const proj = (w: Float32Array) => linearRef(x, b * s, D, w, D, null);
  const q = rotaryRef(proj(W[0]), pos, [b, s, H, Dh], 4, 'interleaved');
  const k = rotaryRef(proj(W[1]), pos, [b, s, H, Dh], 4, 'interleaved');
  const o = attentionRefBSHD(q, k, proj(W[2]), mask && new Int32Array(mask.flat()), [b, s, H, Dh], s);
  return linearRef(o, b * s, D, W[3], D, null);
}

describe('MultiHeadAttention', () => {
  const S = 7;
  const x = randArray(2 * S * D, 31, -1, 1);
  const row = [0, 1, 2, 3, 4, 5, 6];
  const positions = [row, row];

  it('prefill matches the naive causal attention', async () => {
    const cache = new KVCache(2, H, S, Dh);
    const y = await mha.forward(Tensor.fromArray(x, [2, S, D]), { positions: i32(positions), cache, offset: 0 });
    expect(y.shape).toEqual([2, S, D]);
    expect(relErr(y.toFloat32Array(), reference(x, 2, S, positions, null))).toBeLessThan(1e-5);
  });

  it('prefill of 4 then 3 single steps equals the full pass', async () => {
    const cache = new KVCache(2, H, 16, Dh);
    const rows = (from: number, to: number) => {
      const out = new Float32Array(2 * (to - from) * D);
      for (let b = 0; b < 2; b++) out.set(x.subarray((b * S + from) * D, (b * S + to) * D), b * (to - from) * D);
      return out;
    };
    const parts: Float32Array[] = [];
    const steps: [number, number][] = [
      [0, 4],
      [4, 5],
      [5, 6],
      [6, 7],
    ];
    for (const [from, to] of steps) {
      const y = await mha.forward(Tensor.fromArray(rows(from, to), [2, to - from, D]), {
        positions: i32(positions.map((p) => p.slice(from, to))),
        cache,
        offset: from,
      });
      parts.push(y.toFloat32Array());
    }
    const ref = reference(x, 2, S, positions, null);
    for (let b = 0; b < 2; b++) {
      const got = parts.flatMap((p) => {
        const t = p.length / (2 * D);
        return [...p.subarray(b * t * D, (b + 1) * t * D)];
      });
      expect(relErr(new Float32Array(got), ref.subarray(b * S * D, (b + 1) * S * D))).toBeLessThan(1e-5);
    }
  });

  it('left padding: masked keys are ignored, so real positions match the unpadded row', async () => {
    // Row 0: 3 pads then 4 tokens; row 1: 7 tokens. Row 0's tokens equal row 1's last 4 and take positions 0..3.
    const mask = [
      [0, 0, 0, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1],
    ];
    const pos = [[1, 1, 1, 0, 1, 2, 3], row];
    const cache = new KVCache(2, H, S, Dh);
    const y = (await mha.forward(Tensor.fromArray(x, [2, S, D]), { positions: i32(pos), cache, offset: 0, mask: i32(mask) })).toFloat32Array();
    const ref = reference(x, 2, S, pos, mask);
    const real = <A extends Float32Array | Float64Array>(a: A) => a.subarray(3 * D, S * D);
    expect(relErr(real(y), real(ref))).toBeLessThan(1e-5);
    const alone = reference(x.subarray(3 * D, S * D), 1, 4, [[0, 1, 2, 3]], null);
    expect(relErr(real(y), alone)).toBeLessThan(1e-5);
  });

  it('names the layer and the shape when x is not [B, T, D]', async () => {
    const cache = new KVCache(1, H, S, Dh);
    const flat = mha.forward(Tensor.fromArray(x.subarray(0, D), [D]), { positions: i32([[0]]), cache, offset: 0 });
    await expect(flat).rejects.toThrow(ShapeError);
    await expect(flat).rejects.toThrow(`MultiHeadAttention: x must be [B, T, D], got [${D}]`);
  });
});

describe('KVCache', () => {
  it('reorders rows for beam search and refuses writes past its length', () => {
    const cache = new KVCache(3, 1, 2, 2);
    const k = Tensor.fromArray(new Float32Array([1, 1, 2, 2, 3, 3]), [3, 1, 1, 2]);
    cache.write(k, k, 0);
    cache.reorder([2, 2, 0]);
    expect([...cache.k.toFloat32Array()]).toEqual([3, 3, 0, 0, 3, 3, 0, 0, 1, 1, 0, 0]);
    expect(() => cache.write(Tensor.fromArray(new Float32Array(12), [3, 2, 1, 2]), Tensor.fromArray(new Float32Array(12), [3, 2, 1, 2]), 1)).toThrow(
      /exceed the cache of 2/,
    );
    expect(() => cache.reorder([0, 5, 1])).toThrow(RangeError);
  });
});
