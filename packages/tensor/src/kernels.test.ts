// The GEMV/GEMM kernels behind linear and matmul, against a naive double-precision reference, on
// every weight dtype and awkward shapes (K/N in 1, 3, 17, 255, 4097: SIMD tails, partial register
// tiles, partial packed panels; M = 1 to 4 take the GEMV path, 6 and up a GEMM: on AVX-512 the dot-product
// GEMM (6 = one full 6-row tile, 7 = a tile and 1 row, 17 = two and 5, 255 = 42 and 3), elsewhere or with
// GPTJ_GEMM=packed the packed one).
// With 2+ pool threads, N = 17 / 255 / 4097 also split into GEMV row streams with 0-3 rows left over.
// The same checks run again in child processes with GPTJ_CPU_ISA=avx2 and =scalar, so the
// narrower SIMD paths are covered on a CPU that has AVX-512 too.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import * as tensor from './index.js';

type TensorModule = typeof tensor;
type WeightDType = 'f32' | 'f16' | 'bf16' | 'q8';
interface LinearCase {
  dtype: WeightDType;
  M: number;
  K: number;
  N: number;
  bias: boolean;
}
interface MatmulCase {
  aShape: number[];
  bShape: number[];
}

/**
 * Runs every case and returns one message per failure. Self-contained (its source is sent to the
 * child processes), so it takes the tensor module as an argument and defines its own helpers.
 *
 * Each output is checked twice: against the weights as stored (read back dequantized), with the
 * f32 accumulation bound (sqrt(K) + 4) * 2^-22 * sum|terms|; and against the original f32 weights,
 * with that bound plus the dtype's rounding of each weight (f16 2^-11 relative, bf16 2^-8, q8 half
 * a quantization step = row absmax / 254).
 */
function runKernelChecks(t: TensorModule, linearCases: LinearCase[], matmulCases: MatmulCase[]): string[] {
  const failures: string[] = [];
  let seed = 12345;
  const rand = (n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      a[i] = seed / 2147483648 - 1;
    }
    return a;
  };
  const accBound = (K: number, mag: number) => (Math.sqrt(K) + 4) * 2 ** -22 * mag;

  for (const { dtype, M, K, N, bias } of linearCases) {
    const label = `linear ${dtype} M=${M} K=${K} N=${N}${bias ? ' +bias' : ''}`;
    const x = rand(M * K),
      w = rand(N * K),
      b = bias ? rand(N) : null;
    const xt = t.Tensor.fromArray(x, [M, K]);
    const wt = t.Tensor.fromArray(w, [N, K], { dtype });
    const bt = b ? t.Tensor.fromArray(b, [N]) : null;
    const yt = t.linear(xt, wt, bt);
    const y = yt.toFloat32Array(),
      stored = wt.toFloat32Array();
    for (const tt of [xt, wt, yt]) tt.dispose();
    bt?.dispose();
    if (y.length !== M * N) {
      failures.push(`${label}: ${y.length} outputs, expected ${M * N}`);
      continue;
    }
    let worst = '';
    let worstRatio = 1;
    for (let n = 0; n < N; n++) {
      let absmax = 0;
      for (let k = 0; k < K; k++) absmax = Math.max(absmax, Math.abs(w[n * K + k]));
      for (let m = 0; m < M; m++) {
        const bn = b ? b[n] : 0;
        let refStored = bn,
          refOrig = bn,
          mag = Math.abs(bn),
          xabs = 0;
        for (let k = 0; k < K; k++) {
          const xv = x[m * K + k];
          refStored += xv * stored[n * K + k];
          refOrig += xv * w[n * K + k];
          mag += Math.abs(xv * w[n * K + k]);
          xabs += Math.abs(xv);
        }
        const got = y[m * N + n];
        const tolStored = accBound(K, mag) + 1e-30;
        const rounding = dtype === 'f32' ? 0 : dtype === 'f16' ? 2 ** -11 * mag + 2 ** -25 * xabs : dtype === 'bf16' ? 2 ** -8 * mag : (xabs * absmax) / 254;
        const tolOrig = tolStored * 1.01 + rounding * 1.01;
        const ratio = Math.max(Math.abs(got - refStored) / tolStored, Math.abs(got - refOrig) / tolOrig);
        if (!(ratio <= worstRatio)) {
          worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
          worst = `${label}: y[${m},${n}] = ${got}, reference ${refStored} (as stored) / ${refOrig} (f32 weights)`;
        }
      }
    }
    if (worst) failures.push(worst);
  }

  for (const { aShape, bShape } of matmulCases) {
    const label = `matmul [${aShape}] @ [${bShape}]`;
    const [M, K] = aShape.slice(-2),
      N = bShape[bShape.length - 1];
    const aBatch = aShape.slice(0, -2).reduce((p, d) => p * d, 1),
      bBatch = bShape.slice(0, -2).reduce((p, d) => p * d, 1);
    const a = rand(aBatch * M * K),
      bm = rand(bBatch * K * N);
    const at = t.Tensor.fromArray(a, aShape),
      btt = t.Tensor.fromArray(bm, bShape);
    const ct = t.matmul(at, btt);
    const c = ct.toFloat32Array();
    for (const tt of [at, btt, ct]) tt.dispose();
    // Cases use either no batch dims on b (broadcast) or the same batch dims on both.
    const batches = Math.max(aBatch, bBatch);
    let bad = '';
    for (let i = 0; i < batches && !bad; i++) {
      const ao = (aBatch === 1 ? 0 : i) * M * K,
        bo = (bBatch === 1 ? 0 : i) * K * N;
      for (let m = 0; m < M && !bad; m++) {
        for (let n = 0; n < N; n++) {
          let ref = 0,
            mag = 0;
          for (let k = 0; k < K; k++) {
            const p = a[ao + m * K + k] * bm[bo + k * N + n];
            ref += p;
            mag += Math.abs(p);
          }
          const got = c[(i * M + m) * N + n];
          if (!(Math.abs(got - ref) <= accBound(K, mag) + 1e-30)) {
            bad = `${label}: out[${i},${m},${n}] = ${got}, reference ${ref}`;
            break;
          }
        }
      }
    }
    if (bad) failures.push(bad);
  }
  return failures;
}

const DIMS = [1, 3, 17, 255, 4097];
const DTYPES: WeightDType[] = ['f32', 'f16', 'bf16', 'q8'];

// Every (M, K, N) up to `maxWork` multiply-adds, with and without bias (5e6 keeps 89 of the 100
// combinations, every dim value still meeting every other), plus 255x255x255 for M=255: several
// packed A blocks and B panels with partial tiles on every edge.
function linearCases(dtype: WeightDType, M: number, maxWork: number): LinearCase[] {
  const cases: LinearCase[] = [];
  for (const K of DIMS) {
    for (const N of DIMS) {
      if (M * K * N <= maxWork) cases.push({ dtype, M, K, N, bias: false }, { dtype, M, K, N, bias: true });
    }
  }
  if (M === 255) cases.push({ dtype, M, K: 255, N: 255, bias: true });
  // A weight of 1 MiB or more keeps up to 16 (q8) or 32 (the packed-GEMM ISAs) rows on the GEMV, 4 rows at a
  // time over each pool chunk (linear.cpp GemvMaxRows); f16 at 6 and 17 rows takes the AVX-512 GEMM.
  if ((M === 6 || M === 17) && (dtype === 'f16' || dtype === 'q8')) cases.push({ dtype, M, K: 1000, N: 1100, bias: true });
  // One row of x over 32 KiB (K > 8192) takes four parts for 2- and 4-byte weights on AVX-512 (gemv_impl.inc GemvRows):
  // K = 8200 has a k tail, and N = 300 leaves each pool chunk (16-24 rows at 2 threads) rows per part and over.
  if (M === 1) cases.push({ dtype, M, K: 8200, N: 300, bias: true });
  return cases;
}

const MATMUL_CASES: MatmulCase[] = [
  ...[1, 3, 17, 255].flatMap((M) =>
    [
      [1, 1],
      [3, 17],
      [17, 3],
      [255, 255],
      [4097, 3],
      [3, 4097],
    ].map(([K, N]) => ({ aShape: [M, K], bShape: [K, N] })),
  ),
  { aShape: [2, 3, 17, 33], bShape: [33, 40] },
  { aShape: [4, 5, 64], bShape: [4, 64, 5] },
];

const LINEAR_ROWS = [1, 2, 3, 4, 6, 7, 17, 255];

describe('linear kernels (GEMV for M <= 4, GEMM above)', () => {
  for (const dtype of DTYPES) {
    for (const M of LINEAR_ROWS) {
      it(`${dtype} weights, M=${M}, K and N in ${DIMS.join('/')}`, () => {
        expect(runKernelChecks(tensor, linearCases(dtype, M, 5e6), [])).toEqual([]);
      });
    }
  }
});

describe('matmul kernel (f32 GEMM)', () => {
  it('awkward M/K/N, batched and broadcast', () => {
    expect(runKernelChecks(tensor, [], MATMUL_CASES)).toEqual([]);
  });
});

describe('narrower SIMD paths and the packed GEMM (child process with GPTJ_CPU_ISA / GPTJ_GEMM)', () => {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const cases = DTYPES.flatMap((d) => LINEAR_ROWS.flatMap((M) => linearCases(d, M, 1e6)));
  // GPTJ_GEMM=packed: the packed GEMM, which AVX2 and scalar use, on the widest ISA (AVX-512 tile and packing)
  for (const [isa, env] of [
    ['avx2', { GPTJ_CPU_ISA: 'avx2' }],
    ['scalar', { GPTJ_CPU_ISA: 'scalar' }],
    ['packed GEMM', { GPTJ_GEMM: 'packed' }],
  ] as const) {
    it(`${isa}: same checks on shapes up to 1e6 multiply-adds`, () => {
      const script = `import * as t from ${JSON.stringify(dist)};
        const run = ${runKernelChecks.toString()};
        process.stdout.write(JSON.stringify(run(t, ${JSON.stringify(cases)}, ${JSON.stringify(MATMUL_CASES.slice(0, 12))})));`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...env },
        cwd: fileURLToPath(new URL('.', import.meta.url)),
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      expect(JSON.parse(out)).toEqual([]);
    }, 120_000);
  }
});

// The GEMM sums each y[m, n] in an order that does not depend on the other rows of x (gemm_dot_avx512.cpp),
// so a sequence's logits do not change with the batch it was computed in (the sequence pool's rows). Exact.
// Every part has 17 rows or more: a GEMM for every dtype (linear.cpp GemvMaxRows), and at K <= 256 on AVX-512
// the small-K GEMM (linear.cpp kSmallKMinRows; K = 100 has a k tail, q4's K is a multiple of 32).
describe('linear: a row of y does not depend on the other rows of x (GEMM rows)', () => {
  it.each(
    (['f32', 'f16', 'bf16', 'q8', 'q4'] as const).flatMap((dtype) => [
      [dtype, dtype === 'q4' ? 2112 : 2100, 'k chunks and a tail'] as const,
      [dtype, dtype === 'q4' ? 96 : 100, 'small K'] as const,
    ]),
  )('%s weights, K = %i (%s), N = 70', (dtype, K, _part) => {
    const N = 70,
      M = 40;
    const xs = new Float32Array(M * K).map((_, i) => Math.sin(i * 0.37));
    const w = tensor.Tensor.fromArray(
      new Float32Array(N * K).map((_, i) => Math.cos(i * 0.11)),
      [N, K],
      { dtype },
    );
    const bias = tensor.Tensor.fromArray(
      new Float32Array(N).map((_, i) => i / 7),
      [N],
    );
    const all = tensor.linear(tensor.Tensor.fromArray(xs, [M, K]), w, bias).toFloat32Array();
    for (const [m0, rows] of [
      [0, 17],
      [5, 20],
      [20, 20],
    ] as const) {
      const part = tensor.linear(tensor.Tensor.fromArray(xs.slice(m0 * K, (m0 + rows) * K), [rows, K]), w, bias).toFloat32Array();
      expect(part).toEqual(all.slice(m0 * N, (m0 + rows) * N));
    }
  });
});
