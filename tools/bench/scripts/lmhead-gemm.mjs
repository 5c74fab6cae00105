// The batched lm_head's GEMM against the machine's FMA ceiling, alternating in one process (issue 14):
// linear(x[M, K], W[N, K] f16) at the bundled mini-code model's lm_head shape (K 128, N 50400) for a few
// row counts, each round followed by bench_probe.node's computePeak on the same threads.
//   node scripts/lmhead-gemm.mjs [--rows 8,16,32] [--rounds 5] [--k 128] [--n 50400]
// Prints per M the median GFLOP/s over the rounds (wall clock and CPU time) and its ratio to the median FMA ceiling.
import { parseArgs } from 'node:util';
import { Tensor, linear, getNumThreads } from '@gptj/tensor';

import { computePeak } from '../dist/table/compute-peak.js';
import { randomArray } from '../dist/table/random.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '8,16,32' },
    rounds: { type: 'string', default: '5' },
    k: { type: 'string', default: '128' },
    n: { type: 'string', default: '50400' },
  },
});
const rows = values.rows.split(',').map(Number);
const rounds = Number(values.rounds),
  K = Number(values.k),
  N = Number(values.n);
const threads = getNumThreads();
const w = Tensor.fromArray(randomArray(N * K, 4), [N, K], { dtype: 'f16' });
const xs = new Map(rows.map((M) => [M, Tensor.fromArray(randomArray(M * K, M), [M, K])]));

// GFLOP/s of `calls` calls of linear at M rows (one warm-up call first): by the wall clock, and per CPU-second
// of the process times the threads (the cores are shared: a thread that waits for its core costs no CPU time).
function gflops(M, calls) {
  const x = xs.get(M);
  linear(x, w).dispose();
  const c0 = process.cpuUsage(),
    t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) linear(x, w).dispose();
  const s = Number(process.hrtime.bigint() - t0) / 1e9,
    c = process.cpuUsage(c0);
  const flop = (calls * 2 * M * N * K) / 1e9;
  return { wall: flop / s, cpu: (flop / ((c.user + c.system) / 1e6)) * threads };
}

const got = new Map(rows.map((M) => [M, []]));
const peak = [];
for (let r = 0; r < rounds; r++) {
  for (const M of rows) got.get(M).push(gflops(M, 20));
  peak.push(computePeak(threads, 3).fmaGflops);
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const p = median(peak);
console.log(`threads ${threads}, W [${N}, ${K}] f16, FMA ceiling ${p.toFixed(0)} GFLOP/s (median of ${rounds})`);
for (const M of rows) {
  const g = median(got.get(M).map((r) => r.wall)),
    c = median(got.get(M).map((r) => r.cpu));
  const pct = (v) => `${((100 * v) / p).toFixed(1)}%`;
  console.log(`M ${M}: ${g.toFixed(1)} GFLOP/s (${pct(g)} of the ceiling), per CPU-second x threads ${c.toFixed(1)} (${pct(c)})`);
}
for (const x of xs.values()) x.dispose();
w.dispose();
