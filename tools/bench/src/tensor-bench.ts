// Side-by-side CPU kernel benchmark (issue 3): GEMV GB/s against the measured memory read bandwidth,
// GEMM GFLOP/s against OpenBLAS sgemm, all with the same thread count, in one run.
//   node dist/tensor-bench.js [--threads N] [--reps R]   (pnpm --filter @gptj/bench bench:kernels)
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

import { Tensor, getNumThreads, linear, measureReadBandwidth, probeReadBandwidth, setNumThreads } from '@gptj/tensor';

import { probe } from './probe.js';
import { randomArray } from './table/random.js';
import { verifyLinear } from './verify.js';
import { positiveInt } from './options.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    reps: { type: 'string', default: '10' },
  },
});
if (values.threads !== undefined) setNumThreads(Number(values.threads));
const threads = getNumThreads();
const reps = positiveInt('reps', values.reps);

/**
 * Best wall time in seconds of linear(x [M,K], W [N,K] as dtype) over `reps` runs after a warm-up,
 * once sampled outputs match the naive reference. With `probeBandwidth`, a read-bandwidth probe
 * (the tensor core's, on the same threads and huge pages as the weights) runs before every timed run,
 * so both see the same neighbours on a shared host; `bw` is its best, GB/s.
 */
function timeLinear(dtype: 'f32' | 'f16' | 'q8' | 'q4', M: number, K: number, N: number, probeBandwidth = false): { t: number; bw: number } {
  const xs = randomArray(M * K, 1),
    ws = randomArray(N * K, 2);
  const x = Tensor.fromArray(xs, [M, K]);
  const w = Tensor.fromArray(ws, [N, K], { dtype });
  const y = linear(x, w);
  verifyLinear(`linear ${dtype} M=${M} K=${K} N=${N}`, xs, w.toFloat32Array(), y.toFloat32Array(), M, K, N, dtype === 'q4');
  y.dispose();
  linear(x, w).dispose();
  // The timed run follows an untimed run of the same linear, as in decode, where GEMVs run back to
  // back: it wakes the pool workers (a region after an idle gap first waits 0.4-1.5 ms for them on
  // this virtualized host) and lets the host settle after the probe, which maps, fills and unmaps
  // 256 MiB; a GEMV right after that ran 10-15% slower than the same GEMV back to back.
  let t = Infinity,
    bw = 0;
  for (let r = 0; r < reps; r++) {
    if (probeBandwidth) bw = Math.max(bw, measureReadBandwidth(256 << 20, 1) / 1e9);
    linear(x, w).dispose();
    const t0 = process.hrtime.bigint();
    linear(x, w).dispose();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  for (const tt of [x, w]) tt.dispose();
  return { t, bw };
}

const rows: string[][] = [];
const fmt = (v: number, digits = 1) => v.toFixed(digits);

// The floor's methods, each best and median of `reps` passes over 2 x 256 MiB (tools/bench's floor
// test holds the best of them to a plain C reader).
const floor = probeReadBandwidth(512 << 20, reps);
for (const m of floor.methods) {
  rows.push([
    `read ${m.name}`,
    `${m.hugePages ? 'huge' : 'default'} pages`,
    `${fmt(m.best / 1e9)} GB/s best`,
    `${fmt(m.median / 1e9)} GB/s median`,
    m.best === floor.best ? 'best method' : '',
  ]);
}

// Neighbours on a shared host move the bandwidth from one second to the next, so each GEMV is
// compared with the bandwidth probed between its own timed runs.
const gemvRows: { label: string; shape: string; gbs: number; t: number; bw: number }[] = [];

// Weight bytes a GEMV reads: q8 adds an f32 scale per row, q4 is 16 bytes of codes + an f16 scale per 32.
const weightBytes = { f16: (N: number, K: number) => N * K * 2, q8: (N: number, K: number) => N * K + N * 4, q4: (N: number, K: number) => (N * K * 18) / 32 };
for (const dtype of ['f16', 'q8', 'q4'] as const) {
  const shapes: [number, number][] = [
    [16384, 4096],
    [4096, 16384],
  ];
  for (const [N, K] of shapes) {
    const { t, bw } = timeLinear(dtype, 1, K, N, true);
    const bytes = weightBytes[dtype](N, K);
    gemvRows.push({ label: `GEMV ${dtype}`, shape: `x[1,${K}] W[${N},${K}]`, gbs: bytes / t / 1e9, t, bw });
  }
}
const bestBandwidth = Math.max(...gemvRows.map((r) => r.bw));
rows.push(['memory read bandwidth', 'probes beside the GEMVs', `${fmt(bestBandwidth)} GB/s (best probe)`, '', '']);
for (const { label, shape, gbs, t, bw } of gemvRows) {
  rows.push([
    label,
    shape,
    `${fmt(gbs)} GB/s  ${fmt(t * 1e3, 2)} ms`,
    `${fmt((100 * gbs) / bw, 0)}% of ${fmt(bw)} GB/s probed alongside`,
    gbs >= 0.85 * bw ? 'ok (>= 85%)' : 'BELOW 85%',
  ]);
}

const [M, K, N] = [512, 4096, 16384];
const blas = probe.sgemm(M, N, K, threads, reps);
rows.push([
  'OpenBLAS sgemm',
  `${M}x${K} @ [${N},${K}]^T`,
  blas.gflops !== undefined ? `${fmt(blas.gflops)} GFLOP/s` : 'skipped',
  blas.library ?? blas.skipped ?? '',
  '',
]);
for (const dtype of ['f32', 'f16'] as const) {
  const gflops = (2 * M * N * K) / timeLinear(dtype, M, K, N).t / 1e9;
  const ratio = blas.gflops !== undefined ? gflops / blas.gflops : undefined;
  rows.push([
    `GEMM ${dtype} weights`,
    `${M}x${K} @ [${N},${K}]^T`,
    `${fmt(gflops)} GFLOP/s`,
    ratio !== undefined ? `${fmt(100 * ratio, 0)}% of OpenBLAS` : 'no OpenBLAS peer',
    ratio === undefined ? '' : ratio >= 0.7 ? 'ok (>= 70%)' : 'BELOW 70%',
  ]);
}

console.log(`@gptj/tensor CPU kernels: ${cpus()[0]?.model ?? 'unknown CPU'}, ${threads} threads, best of ${reps}`);
// every row has a cell per column of the header row
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows)
  console.log(
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
