// Every op against the naive float64 references in test-support/reference.ts, on random inputs with
// awkward shapes and every dtype the op accepts.
import { describe, expect, it } from 'vitest';
import {
  Tensor,
  add,
  argmax,
  attention,
  cast,
  concat,
  embedding,
  gelu,
  kvWrite,
  layerNorm,
  linear,
  matmul,
  mul,
  rotary,
  scale,
  slice,
  softmax,
  topk,
  transpose,
  getNumThreads,
  setNumThreads,
} from './index.js';
import {
  attentionRef,
  broadcastRef,
  closeTo,
  erf,
  layerNormRef,
  linearRef,
  prod,
  randArray,
  rotaryRef,
  softmaxRef,
  strides,
  unravel,
} from './test-support/reference.js';

const t = (data: Float32Array, shape: number[]) => Tensor.fromArray(data, shape);
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): void {
  const err = closeTo(actual, expected, atol, rtol);
  if (err) expect.fail(err);
}

describe('add / mul with broadcasting', () => {
  const pairs: [number[], number[]][] = [
    [[1], [1]],
    [[3], [1]],
    [[17, 3], [3]],
    [
      [255, 1],
      [1, 17],
    ],
    [[4097], [4097]],
    [
      [2, 1, 3],
      [17, 1],
    ],
    [[], [3]],
    [
      [3, 4097],
      [3, 1],
    ],
    [
      [1, 3, 1],
      [2, 1, 5],
    ],
  ];
  for (const [as, bs] of pairs)
    it(`[${as}] with [${bs}]`, () => {
      const a = randArray(prod(as), 11),
        b = randArray(prod(bs), 12);
      for (const [fn, f] of [
        [add, (x: number, y: number) => x + y],
        [mul, (x: number, y: number) => x * y],
      ] as const) {
        const ref = broadcastRef(a, as, b, bs, f);
        const out = fn(t(a, as), t(b, bs));
        expect(out.shape).toEqual(as.length === 0 && bs.length === 0 ? [] : ref.shape);
        expectClose(out.toFloat32Array(), ref.data, 1e-6, 1e-6);
      }
    });
});

describe('scale / gelu', () => {
  for (const n of [1, 3, 17, 255, 4097])
    it(`n = ${n}`, () => {
      const x = randArray(n, n, -6, 6);
      expectClose(
        scale(t(x, [n]), 0.125).toFloat32Array(),
        [...x].map((v) => v * 0.125),
        0,
      );
      const tanhRef = [...x].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
      expectClose(gelu(t(x, [n]), 'tanh').toFloat32Array(), tanhRef, 2e-6, 1e-5);
      const erfRef = [...x].map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      expectClose(gelu(t(x, [n]), 'none').toFloat32Array(), erfRef, 2e-6, 1e-5);
    });
});

describe('gelu at extreme inputs', () => {
  it('saturates like the exact formula', () => {
    const x = new Float32Array([-1e4, -100, -20, -10, -5, -1e-3, 0, 1e-30, 5, 10, 100, 1e4]);
    const tanhRef = [...x].map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    expectClose(gelu(t(x, [12]), 'tanh').toFloat32Array(), tanhRef, 1e-7, 1e-6);
  });
});

describe('layerNorm / softmax', () => {
  for (const [R, D] of [
    [1, 1],
    [3, 17],
    [17, 255],
    [2, 4097],
  ])
    for (const gdt of ['f32', 'f16', 'bf16'] as const)
      it(`[${R}, ${D}] gamma/beta ${gdt}`, () => {
        const x = randArray(R * D, R + D, -3, 5);
        const g = Tensor.fromArray(randArray(D, 2), [D], { dtype: gdt });
        const b = Tensor.fromArray(randArray(D, 3), [D], { dtype: gdt });
        const ref = layerNormRef(x, D, g.toFloat32Array(), b.toFloat32Array(), 1e-5);
        expectClose(layerNorm(t(x, [R, D]), g, b, 1e-5).toFloat32Array(), ref, 2e-5, 2e-5);
      });
  for (const [R, V] of [
    [1, 1],
    [3, 17],
    [17, 255],
    [2, 4097],
  ])
    it(`softmax [${R}, ${V}]`, () => {
      const x = randArray(R * V, V, -20, 20);
      expectClose(softmax(t(x, [R, V])).toFloat32Array(), softmaxRef(x, V), 1e-7, 1e-5);
    });
});

describe('softmax edge values', () => {
  it('gives exactly 0 to -Infinity and keeps NaN visible', () => {
    expect([...softmax(t(new Float32Array([-Infinity, 0, 0, -Infinity]), [1, 4])).toFloat32Array()]).toEqual([0, 0.5, 0.5, 0]);
    expect(Number.isNaN(softmax(t(new Float32Array([NaN, 1]), [2])).toFloat32Array()[0])).toBe(true);
    const big = softmax(t(new Float32Array([1000, 1000, -1000]), [3])).toFloat32Array();
    expect([...big]).toEqual([0.5, 0.5, 0]);
  });
});

describe('linear / matmul', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 17, 5],
    [17, 255, 3],
    [1, 64, 255],
    [5, 3, 17],
  ];
  for (const [M, K, N] of shapes)
    for (const wdt of ['f32', 'f16', 'bf16', 'q8'] as const)
      it(`x [${M}, ${K}] w ${wdt} [${N}, ${K}]`, () => {
        const x = randArray(M * K, M + K);
        const w = Tensor.fromArray(randArray(N * K, K + N), [N, K], { dtype: wdt });
        const b = randArray(N, N);
        const wv = w.toFloat32Array(); // the weights as stored (rounded/quantized)
        const out = linear(t(x, [M, K]), w, t(b, [N]));
        expect(out.shape).toEqual([M, N]);
        expectClose(out.toFloat32Array(), linearRef(x, M, K, wv, N, b), 1e-5 * Math.sqrt(K) * 4, 1e-5);
        expectClose(linear(t(x, [1, M, K]), w).toFloat32Array(), linearRef(x, M, K, wv, N), 1e-5 * Math.sqrt(K) * 4, 1e-5);
      });

  const mm: [number[], number[]][] = [
    [
      [1, 1],
      [1, 1],
    ],
    [
      [3, 17],
      [17, 5],
    ],
    [
      [2, 3, 17],
      [17, 4],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 5],
    ],
    [
      [255, 3],
      [3, 17],
    ],
  ];
  for (const [as, bs] of mm)
    it(`matmul [${as}] @ [${bs}]`, () => {
      const a = randArray(prod(as), 21),
        b = randArray(prod(bs), 22);
      const [M, K] = as.slice(-2),
        N = bs[bs.length - 1];
      const out = matmul(t(a, as), t(b, bs));
      // reference: broadcast batch dims, then a per-batch product
      const ab = as.slice(0, -2),
        bb = bs.slice(0, -2);
      const nd = Math.max(ab.length, bb.length);
      const pa = [...Array(nd - ab.length).fill(1), ...ab],
        pb = [...Array(nd - bb.length).fill(1), ...bb];
      const batch = pa.map((d, i) => Math.max(d, pb[i]));
      expect(out.shape).toEqual([...batch, M, N]);
      const ref = new Float64Array(prod(batch) * M * N);
      const sa = strides(pa),
        sb = strides(pb);
      for (let i = 0; i < prod(batch); i++) {
        const idx = unravel(i, batch);
        const ia = idx.reduce((s, v, d) => s + (pa[d] === 1 ? 0 : v) * sa[d], 0);
        const ib = idx.reduce((s, v, d) => s + (pb[d] === 1 ? 0 : v) * sb[d], 0);
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a[ia * M * K + m * K + k] * b[ib * K * N + k * N + n];
            ref[(i * M + m) * N + n] = s;
          }
      }
      expectClose(out.toFloat32Array(), ref, 1e-5, 1e-5);
    });
});

describe('rotary', () => {
  for (const style of ['interleaved', 'half'] as const)
    for (const [B, T, H, D, rd] of [
      [1, 1, 1, 2, 2],
      [2, 3, 3, 16, 8],
      [1, 17, 2, 10, 10],
      [1, 255, 1, 8, 4],
    ])
      it(`${style} [${B}, ${T}, ${H}, ${D}] rotaryDim ${rd}`, () => {
        const x = randArray(B * T * H * D, T * D);
        const pos = new Int32Array(B * T).map((_, i) => (i * 37) % 2048);
        const out = rotary(t(x, [B, T, H, D]), Tensor.fromArray(pos, [B, T]), { rotaryDim: rd, style });
        expectClose(out.toFloat32Array(), rotaryRef(x, pos, [B, T, H, D], rd, style), 1e-6, 1e-6);
      });
  it('uses the base option', () => {
    const x = randArray(8, 1),
      pos = new Int32Array([5]);
    const out = rotary(t(x, [1, 1, 1, 8]), Tensor.fromArray(pos, [1, 1]), { rotaryDim: 8, style: 'half', base: 500 });
    expectClose(out.toFloat32Array(), rotaryRef(x, pos, [1, 1, 1, 8], 8, 'half', 500), 1e-6, 1e-6);
  });
});

describe('kvWrite / attention', () => {
  it('kvWrite writes x [B, T, H, D] transposed into cache [B, H, Tmax, D] at offset', () => {
    const [B, H, Tmax, D, T, off] = [2, 3, 7, 5, 3, 2];
    const cache = Tensor.zeros([B, H, Tmax, D]);
    const x = randArray(B * T * H * D, 9);
    kvWrite(cache, t(x, [B, T, H, D]), off);
    const c = cache.toFloat32Array();
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let j = 0; j < Tmax; j++)
          for (let d = 0; d < D; d++) {
            const tt = j - off;
            const want = tt >= 0 && tt < T ? x[((b * T + tt) * H + h) * D + d] : 0;
            if (c[((b * H + h) * Tmax + j) * D + d] !== want) expect.fail(`cache[${b},${h},${j},${d}]`);
          }
  });

  const cases: [number, number, number, number, number, number, boolean][] = [
    // B, T, H, D, Tmax, L, mask
    [1, 1, 1, 1, 1, 1, false],
    [2, 3, 3, 17, 20, 3, false],
    [2, 1, 2, 16, 40, 17, true],
    [1, 17, 2, 8, 17, 17, true],
    [3, 5, 1, 4, 255, 255, true],
    // prefill sizes take the blocked GEMM path (T >= 16), padded rows the row path
    [2, 33, 2, 16, 40, 37, true],
    [1, 130, 2, 8, 140, 140, false],
  ];
  for (const [B, T, H, D, Tmax, L, withMask] of cases)
    it(`B ${B} T ${T} H ${H} D ${D} Tmax ${Tmax} kvLength ${L}${withMask ? ' masked' : ''}`, () => {
      const q = randArray(B * T * H * D, 1),
        k = randArray(B * H * Tmax * D, 2),
        v = randArray(B * H * Tmax * D, 3);
      // left padding: row b has b * 2 padded positions (never all of a query's keys for the last query)
      const mask = withMask ? new Int32Array(B * L).map((_, i) => (i % L < Math.floor(i / L) * 2 ? 0 : 1)) : null;
      const out = attention(t(q, [B, T, H, D]), t(k, [B, H, Tmax, D]), t(v, [B, H, Tmax, D]), {
        kvLength: L,
        mask: mask ? Tensor.fromArray(mask, [B, L]) : undefined,
      });
      expect(out.shape).toEqual([B, T, H, D]);
      expectClose(out.toFloat32Array(), attentionRef(q, k, v, [B, T, H, D], Tmax, L, mask, 1 / Math.sqrt(D)), 1e-5, 1e-5);
    });
  it('skips padded keys even when they hold NaN', () => {
    const k = new Float32Array([NaN, NaN, 1, 0]),
      v = new Float32Array([NaN, NaN, 3, 4]);
    const out = attention(t(new Float32Array([1, 1]), [1, 1, 1, 2]), t(k, [1, 1, 2, 2]), t(v, [1, 1, 2, 2]), {
      kvLength: 2,
      mask: Tensor.fromArray([0, 1], [1, 2], { dtype: 'i32' }),
      scale: 0.5,
    });
    expect([...out.toFloat32Array()]).toEqual([3, 4]);
  });
});

describe('embedding', () => {
  for (const dt of ['f32', 'f16', 'bf16', 'q8'] as const)
    it(`table ${dt} [255, 17], ids [3, 17]`, () => {
      const table = Tensor.fromArray(randArray(255 * 17, 8), [255, 17], { dtype: dt });
      const tv = table.toFloat32Array();
      const ids = new Int32Array(51).map((_, i) => (i * 97) % 255);
      const out = embedding(table, Tensor.fromArray(ids, [3, 17]));
      expect(out.shape).toEqual([3, 17, 17]);
      const ref = [...ids].flatMap((id) => [...tv.subarray(id * 17, id * 17 + 17)]);
      expect([...out.toFloat32Array()]).toEqual(ref);
    });
});

describe('concat / slice / transpose', () => {
  for (const dt of ['f32', 'f16', 'bf16', 'i32'] as const) {
    const mk = (shape: number[], seed: number) => {
      const d = randArray(prod(shape), seed);
      return dt === 'i32'
        ? Tensor.fromArray(
            Int32Array.from(d, (v) => Math.round(v * 1000)),
            shape,
          )
        : Tensor.fromArray(d, shape, { dtype: dt });
    };
    const read = (x: Tensor) => (dt === 'i32' ? [...x.toInt32Array()] : [...x.toFloat32Array()]);
    it(`${dt}`, () => {
      const a = mk([3, 17, 5], 1),
        b = mk([3, 2, 5], 2);
      const av = read(a),
        bv = read(b);
      const c = concat([a, b], 1);
      expect(c.shape).toEqual([3, 19, 5]);
      const cv = read(c);
      for (let i = 0; i < 3; i++) expect(cv.slice(i * 95, (i + 1) * 95)).toEqual([...av.slice(i * 85, (i + 1) * 85), ...bv.slice(i * 10, (i + 1) * 10)]);
      expect(read(concat([a, a], -3))).toEqual([...av, ...av]);
      const s = slice(a, 1, 4, -3);
      expect(s.shape).toEqual([3, 10, 5]);
      const sv = read(s);
      for (let i = 0; i < 3; i++) expect(sv.slice(i * 50, (i + 1) * 50)).toEqual(av.slice(i * 85 + 20, i * 85 + 70));
      expect(slice(a, 0, 1, 1).shape).toEqual([0, 17, 5]);
      const tr = transpose(a, 0, 2);
      expect(tr.shape).toEqual([5, 17, 3]);
      const tv = read(tr);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 17; j++)
          for (let k = 0; k < 5; k++) if (tv[(k * 17 + j) * 3 + i] !== av[(i * 17 + j) * 5 + k]) expect.fail(`transpose at ${i},${j},${k}`);
      expect(read(transpose(transpose(a, 0, -1), 2, 0))).toEqual(av);
    });
  }
});

describe('argmax / topk', () => {
  for (const [R, V] of [
    [1, 1],
    [3, 17],
    [2, 4097],
  ])
    it(`[${R}, ${V}]`, () => {
      const x = randArray(R * V, V).map((v) => Math.round(v * 4) / 4); // many ties
      const am = argmax(t(x, [R, V]));
      expect(am.shape).toEqual([R]);
      const k = Math.min(V, 5);
      const { values, indices } = topk(t(x, [R, V]), k);
      for (let r = 0; r < R; r++) {
        const row = [...x.subarray(r * V, (r + 1) * V)].map((v, i) => [v, i] as const);
        row.sort((p, q) => q[0] - p[0] || p[1] - q[1]);
        expect(am.toInt32Array()[r]).toBe(row[0][1]);
        expect([...indices.toInt32Array().subarray(r * k, (r + 1) * k)]).toEqual(row.slice(0, k).map((p) => p[1]));
        expect([...values.toFloat32Array().subarray(r * k, (r + 1) * k)]).toEqual(row.slice(0, k).map((p) => p[0]));
      }
    });
  it('argmax of a 1-D tensor is a scalar', () => {
    expect(argmax(t(new Float32Array([1, 3, 3, 2]), [4])).shape).toEqual([]);
  });
});

describe('casts and threads', () => {
  it('q8 -> f32 -> f16 chains', () => {
    const x = randArray(17 * 3, 77);
    const q = cast(t(x, [3, 17]), 'q8');
    expect(q.dtype).toBe('q8');
    expect([...cast(cast(q, 'f32'), 'f32').toFloat32Array()]).toEqual([...q.toFloat32Array()]);
    expect(cast(q, 'f16').dtype).toBe('f16');
  });
  it('setNumThreads / getNumThreads', () => {
    const n = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(n);
    expect(getNumThreads()).toBe(n);
  });
});
