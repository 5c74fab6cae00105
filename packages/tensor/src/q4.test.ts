// q4 (dtype.ts q4ScalesOffset, native/cpu/q4.h) against references written here from the documented
// layout: a quantizer that must give the same bytes, a dequantizer that must give the same floats, and
// linear against a naive float64 dequantize-then-matmul. Shapes are odd on purpose: N not a multiple of
// the kernel's 4 row streams or of a pool chunk, K an odd number of groups (not a whole number of
// 64-byte lines or SIMD widths), M = 1-4 (GEMV), 5, 9 (GEMM; weights under 1 MiB) and 13, 17, 70 (weights over 1 MiB), N * K / 2 above and below the
// 128 KiB where the GEMV goes parallel. The checks run again in child processes with GPTJ_CPU_ISA=avx2,
// =scalar and =avx512-novnni, so every SIMD path is covered on a CPU that has AVX-512 VNNI. The VNNI GEMV
// rounds x to int8 in groups of 32 first (q4_gemv_avx512vnni.cpp), so where it may run the bound also
// allows for that rounding: |dx_g / 2| per element, dx_g = max |x| of the group / 127.
import { describe, expect, it } from 'vitest';
import { avx512VnniLinear } from './test-support/avx512-linear.js';
import { distModule, runInChild } from './test-support/child-process.js';

import * as tensor from './index.js';
import { q4ScalesOffset, storageBytes } from './dtype.js';

interface Q4Case {
  M: number;
  K: number;
  N: number;
  bias: boolean;
  seed: number;
}

/** Self-contained (run in child processes via toString): returns the failures, [] when all hold. */
function runQ4Checks(t: typeof tensor, cases: Q4Case[], xRounding: boolean): string[] {
  const failures: string[] = [];
  const rand = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const rne = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  // f16 rounding to nearest even (normal and subnormal range; these tests stay far from overflow)
  const f16round = (x: number) => {
    if (x === 0) return 0;
    let e = Math.floor(Math.log2(Math.abs(x)));
    if (2 ** e > Math.abs(x)) e--;
    if (2 ** (e + 1) <= Math.abs(x)) e++;
    const quantum = 2 ** (Math.max(e, -14) - 10);
    return rne(x / quantum) * quantum;
  };
  const f16bits = (v: number) => {
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, v);
    const x = b.getUint32(0),
      sign = (x >>> 16) & 0x8000,
      a = Math.abs(v);
    if (a === 0) return sign;
    if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24); // exact: v is already f16-rounded
    const e = Math.floor(Math.log2(a));
    return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
  };
  const f16value = (h: number) => {
    const e = (h >> 10) & 31,
      m = h & 1023,
      s = h & 0x8000 ? -1 : 1;
    return s * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
  };
  /** The documented layout, built from scratch: codes, zero padding to 64 bytes, f16 scales. */
  const quantize = (w: Float32Array, rows: number, cols: number): Uint8Array => {
    const at = Math.ceil((rows * cols) / 2 / 64) * 64;
    const out = new Uint8Array(at + (rows * cols) / 16);
    const scales = new DataView(out.buffer, at);
    for (let g = 0; g < (rows * cols) / 32; g++) {
      const x = w.subarray(32 * g, 32 * g + 32);
      let peak = 0;
      for (const v of x) if (Math.abs(v) > Math.abs(peak)) peak = v;
      const d = f16round(Math.fround(peak / -8));
      scales.setUint16(2 * g, f16bits(d), true);
      const inv = d !== 0 ? Math.fround(1 / d) : 0;
      const code = (v: number) => Math.min(15, Math.max(0, rne(Math.fround(v * inv)) + 8));
      for (let i = 0; i < 16; i++) out[16 * g + i] = code(x[i]) | (code(x[i + 16]) << 4);
    }
    return out;
  };
  const dequantize = (bytes: Uint8Array, rows: number, cols: number): Float64Array => {
    const at = Math.ceil((rows * cols) / 2 / 64) * 64;
    const scales = new DataView(bytes.buffer, bytes.byteOffset + at);
    const out = new Float64Array(rows * cols);
    for (let g = 0; g < (rows * cols) / 32; g++) {
      const d = f16value(scales.getUint16(2 * g, true));
      for (let i = 0; i < 16; i++) {
        out[32 * g + i] = ((bytes[16 * g + i] & 15) - 8) * d;
        out[32 * g + i + 16] = ((bytes[16 * g + i] >> 4) - 8) * d;
      }
    }
    return out;
  };
  for (const { M, K, N, bias, seed } of cases) {
    const label = `M=${M} K=${K} N=${N}${bias ? ' bias' : ''}`;
    const r = rand(seed);
    // Weights of mixed magnitude per group, with exact ties (multiples of d / 2) and zeros mixed in.
    const w = new Float32Array(N * K).map((_, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? 0.5 * ((i % 7) - 3) * 0.25 : (r() * 2 - 1) * (1 + ((i >> 5) % 5))));
    const x = new Float32Array(M * K).map(() => r() * 2 - 1);
    const b = new Float32Array(N).map(() => r() - 0.5);
    const wq = t.Tensor.fromArray(w, [N, K], { dtype: 'q4' });
    const got = wq.toBytes(),
      want = quantize(w, N, K);
    const firstDiff = want.findIndex((v, i) => v !== got[i]);
    if (got.length !== want.length || firstDiff >= 0) {
      failures.push(`${label}: q4 bytes differ from the reference quantizer at byte ${firstDiff} of ${want.length}`);
      continue;
    }
    const deq = dequantize(want, N, K),
      back = wq.toFloat32Array();
    if (back.some((v, i) => v !== deq[i])) failures.push(`${label}: toFloat32Array differs from the reference dequantizer`);
    const xt = t.Tensor.fromArray(x, [M, K]),
      bt = bias ? t.Tensor.fromArray(b, [N]) : null;
    const y = t.linear(xt, wq, bt).toFloat32Array();
    // f32 accumulation: each product passes through at most K/32 group sums, 32 in-group additions, the
    // lane reduction and the bias (scalar path: 32 + K/32 + 2), so |error| <= n * 2^-24 * sum |x w| + |b| ulp.
    // The VNNI path: plus sum_k |w_k| * dx_g / 2 (the x rounding), with a hair for the f32 rounding of 1 / dx.
    const n = K / 32 + 40;
    const dx = new Float64Array((M * K) / 32).map((_, g) => Math.max(...x.subarray(32 * g, 32 * g + 32).map(Math.abs)) / 127);
    for (let m = 0; m < M; m++)
      for (let j = 0; j < N; j++) {
        let ref = bias ? b[j] : 0,
          mag = bias ? Math.abs(b[j]) : 0,
          xr = 0;
        for (let k = 0; k < K; k++) {
          ref += x[m * K + k] * deq[j * K + k];
          mag += Math.abs(x[m * K + k] * deq[j * K + k]);
          xr += Math.abs(deq[j * K + k]) * dx[(m * K + k) >> 5] * 0.5 * (1 + 2 ** -20);
        }
        const err = Math.abs(y[m * N + j] - ref),
          bound = n * 2 ** -24 * (mag + (xRounding ? xr : 0)) + (xRounding ? xr : 0);
        if (!(err <= bound + 1e-30)) {
          failures.push(`${label}: y[${m}, ${j}] = ${y[m * N + j]}, reference ${ref} (error ${err}, bound ${bound})`);
          break;
        }
      }
    for (const tt of [wq, xt, bt]) tt?.dispose();
  }
  return failures;
}

const CASES: Q4Case[] = [];
let seed = 1;
for (const M of [1, 2, 3, 4, 5, 9])
  for (const [K, N] of [
    [32, 1],
    [96, 3],
    [288, 37],
    [1024, 67],
    [1024, 300],
    [4096, 71],
    [1312, 45], // 41 groups: two whole blocks of 16 groups, then 9 (the VNNI kernel's masked tail, a 1-group quad)
  ])
    CASES.push({ M, K, N, bias: (seed & 1) === 1, seed: seed++ });
// A weight of 1 MiB or more: 13 rows stay on the GEMV (4 rows at a time over each chunk); 17 and 70 take the
// GEMM on AVX-512 without VNNI, the GEMV elsewhere; with VNNI the GEMV rounds x 64 rows at a time, so 70 rows
// are two slices, the second partial (linear.cpp GemvMaxRows, kQ4SliceRows).
for (const M of [13, 17, 70]) CASES.push({ M, K: 1024, N: 2100, bias: true, seed: seed++ });
// 17 rows or more with K <= 256: the small-K GEMM on AVX-512 (linear.cpp kSmallKMinRows), a partial row tile and panel.
for (const M of [17, 30]) CASES.push({ M, K: 96, N: 37, bias: M === 17, seed: seed++ }, { M, K: 256, N: 70, bias: M === 30, seed: seed++ });

describe('q4 weights', () => {
  it('quantize, dequantize and linear match the references written from the layout (best SIMD path, VNNI where present)', () => {
    expect(runQ4Checks(tensor, CASES, true)).toEqual([]);
  }, 120_000);

  it('stores 18 bytes per 32 weights after 64-byte aligned codes, and round-trips through fromBytes', () => {
    expect(storageBytes('q4', [3, 64])).toBe(q4ScalesOffset(3, 64) + 12);
    expect(q4ScalesOffset(3, 64)).toBe(128);
    const w = new Float32Array(5 * 64).map((_, i) => Math.sin(i));
    const q = tensor.Tensor.fromArray(w, [5, 64], { dtype: 'q4' });
    const again = tensor.Tensor.fromBytes(q.toBytes(), [5, 64], 'q4');
    expect(again.toFloat32Array()).toEqual(q.toFloat32Array());
    expect(
      tensor.Tensor.zeros([2, 32], 'q4')
        .toFloat32Array()
        .every((v) => v === 0),
    ).toBe(true); // scale 0: (0 - 8) * 0
    expect(q.reshape([1, 5, 64]).shape).toEqual([1, 5, 64]);
    expect(() => q.reshape([10, 32])).toThrow(tensor.ShapeError);
    expect(() => tensor.concat([q, q], 0)).toThrow(/q4 tensors cannot be re-laid out/);
    expect(() => tensor.embedding(q, tensor.Tensor.fromArray(new Int32Array([0]), [1]))).toThrow(tensor.DTypeError);
    for (const t of [q, again]) t.dispose();
  });

  it('runs any stored bytes (codes, NaN and infinite f16 scales) without crashing, NaN staying in its row', () => {
    const [N, K] = [9, 96];
    const bytes = new Uint8Array(storageBytes('q4', [N, K])).map((_, i) => (i * 7919) & 255);
    const scales = new DataView(bytes.buffer, q4ScalesOffset(N, K));
    for (let g = 0; g < (N * K) / 32; g++) scales.setUint16(2 * g, 0x3c00, true); // 1.0
    scales.setUint16(2 * 4, 0x7e00, true); // NaN: row 1 (3 groups a row), group 1
    scales.setUint16(2 * 9, 0x7c00, true); // +inf: row 3
    const w = tensor.Tensor.fromBytes(bytes, [N, K], 'q4');
    for (const M of [1, 6]) {
      const x = tensor.Tensor.fromArray(new Float32Array(M * K).fill(0.5), [M, K]);
      const y = tensor.linear(x, w).toFloat32Array();
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) expect(Number.isFinite(y[m * N + n]), `M=${M} y[${m}, ${n}]`).toBe(n !== 1 && n !== 3);
      x.dispose();
    }
    w.dispose();
  });

  // The parallel GEMV rounds x once for all its chunks (the VNNI path, linear.cpp), where a small one rounds it
  // in the call: each row must come out bit for bit as when computed on its own, for every row of x.
  it('a parallel GEMV equals its rows computed one small call at a time, bit for bit, at 1 and 2 threads', () => {
    const { Tensor, linear, getNumThreads, setNumThreads } = tensor;
    const [K, N, slice] = [1024, 300, 4]; // 300 rows of 576 bytes: parallel; 4 rows: under 128 KiB, one call
    const w = new Float32Array(N * K).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const initial = getNumThreads();
    try {
      for (const M of [1, 3, 6]) {
        const x = Tensor.fromArray(
          new Float32Array(M * K).map((_, i) => Math.cos(i * 1.3)),
          [M, K],
        );
        const apart = new Float32Array(M * N);
        for (let n0 = 0; n0 < N; n0 += slice) {
          const ws = Tensor.fromArray(w.subarray(n0 * K, (n0 + slice) * K), [slice, K], { dtype: 'q4' });
          const ys = linear(x, ws).toFloat32Array();
          for (let m = 0; m < M; m++) apart.set(ys.subarray(m * slice, (m + 1) * slice), m * N + n0);
          ws.dispose();
        }
        const wq = Tensor.fromArray(w, [N, K], { dtype: 'q4' });
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          const together = linear(x, wq).toFloat32Array();
          const first = together.findIndex((v, i) => !Object.is(v, apart[i]));
          expect(first, `M=${M}, ${threads} threads: first differing y at ${first}`).toBe(-1);
        }
        for (const t of [x, wq]) t.dispose();
      }
    } finally {
      setNumThreads(initial);
    }
  });

  // With VNNI every row count of a weight of 1 MiB or more takes the GEMV (linear.cpp GemvMaxRows), which rounds
  // and sums each row of x on its own: a batched decode step or a prompt gives each row exactly what that row gives
  // alone. Before, 17 rows and more took the dot GEMM with x in f32, so a sequence's logits depended on how many
  // others shared its step (this test failed at 20 and 70 rows).
  it.runIf(avx512VnniLinear())('with VNNI, any number of rows equals each row alone, bit for bit', () => {
    const { Tensor, linear } = tensor;
    const [K, N] = [1024, 2100]; // 2100 rows of 576 bytes: 1.2 MB
    const wq = Tensor.fromArray(
      new Float32Array(N * K).map((_, i) => Math.sin(i * 0.37) * (1 + (i % 5))),
      [N, K],
      { dtype: 'q4' },
    );
    for (const M of [20, 70]) {
      const xs = new Float32Array(M * K).map((_, i) => Math.cos(i * 1.3) * (1 + (i % 7)));
      const x = Tensor.fromArray(xs, [M, K]);
      const together = linear(x, wq).toFloat32Array();
      for (let m = 0; m < M; m++) {
        const row = Tensor.fromArray(xs.subarray(m * K, (m + 1) * K), [1, K]);
        const alone = linear(row, wq).toFloat32Array();
        const first = alone.findIndex((v, j) => !Object.is(v, together[m * N + j]));
        expect(first, `M=${M}, row ${m}: first differing y at ${first}`).toBe(-1);
        row.dispose();
      }
      x.dispose();
    }
    wq.dispose();
  });

  it('refuses shapes and values it cannot hold, with typed errors naming them', () => {
    const { Tensor, ShapeError, NonFiniteError, TensorError, cast, linear } = tensor;
    expect(() => Tensor.fromArray(new Float32Array(33), [1, 33], { dtype: 'q4' })).toThrow(ShapeError);
    expect(() => Tensor.fromArray(new Float32Array(33), [1, 33], { dtype: 'q4' })).toThrow(/multiple of 32.*got 33/);
    expect(() => Tensor.zeros([], 'q4')).toThrow(/at least one dimension/);
    expect(() => Tensor.fromBytes(new Uint8Array(10), [1, 32], 'q4')).toThrow(/10 bytes do not match q4\[1,32\] \(66 bytes\)/);
    const f = Tensor.fromArray(new Float32Array(48), [1, 48]);
    expect(() => cast(f, 'q4', { name: 'h.0.mlp.fc_in.weight' })).toThrow(/multiple of 32 .*got 48 \(h\.0\.mlp\.fc_in\.weight\)/);
    const bad = new Float32Array(64);
    bad[40] = Number.NaN;
    expect(() => Tensor.fromArray(bad, [2, 32], { dtype: 'q4' })).toThrow(NonFiniteError);
    bad[40] = 6e5;
    expect(() => Tensor.fromArray(bad, [2, 32], { dtype: 'q4' })).toThrow(TensorError);
    expect(() => Tensor.fromArray(bad, [2, 32], { dtype: 'q4' })).toThrow(/row 1, column 8 is 600000/);
    const w = Tensor.zeros([4, 64], 'q4');
    expect(() => linear(Tensor.fromArray(new Float32Array(32), [1, 32]), w)).toThrow(ShapeError);
    for (const t of [f, w]) t.dispose();
  });
});

/** Self-contained (run in a child too): the q4 bytes of a matrix of edge groups, as hex. */
function edgeGroupBytes(t: typeof tensor): string {
  const [N, K] = [64, 1024];
  const w = new Float32Array(N * K);
  let seed = 7;
  const r = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < w.length; i++) {
    const j = i % 32;
    // per group: all zero, -0 only, +-0.5 ties (the first wins), a -3 and a 3 (the first wins), values whose
    // scale is subnormal or rounds to 0, exact multiples of d / 2, random values over 7 decades
    w[i] = [
      0,
      -0,
      j % 2 ? 0.5 : -0.5,
      j === 5 ? -3 : j === 20 ? 3 : r() - 0.5,
      (r() - 0.5) * 1e-7,
      (r() - 0.5) * 1e-9,
      Math.round((r() - 0.5) * 32) / 4,
      (r() * 2 - 1) * 10 ** ((i % 7) - 3),
    ][(i >> 5) % 8]!;
  }
  const q = t.Tensor.fromArray(w, [N, K], { dtype: 'q4' });
  const hex = Buffer.from(q.toBytes()).toString('hex');
  q.dispose();
  return hex;
}

describe('q4 quantizer paths', () => {
  it("the best SIMD quantizer (AVX-512 where present) writes the scalar one's bytes on edge groups", () => {
    const script = `import * as t from ${distModule('index.js')};
      const run = ${edgeGroupBytes.toString()};
      process.stdout.write(run(t));`;
    expect(edgeGroupBytes(tensor)).toBe(runInChild(script, { GPTJ_CPU_ISA: 'scalar' }));
  });
});

describe('q4 on the narrower SIMD paths (child process with GPTJ_CPU_ISA)', () => {
  for (const isa of ['avx512-novnni', 'avx2', 'scalar']) {
    it(`${isa}: same checks`, () => {
      const script = `import * as t from ${distModule('index.js')};
        const run = ${runQ4Checks.toString()};
        process.stdout.write(JSON.stringify(run(t, ${JSON.stringify(CASES)}, false)));`;
      expect(JSON.parse(runInChild(script, { GPTJ_CPU_ISA: isa }))).toEqual([]);
    }, 120_000);
  }
});
