// The batched lm_head's GEMM against the machine's FMA ceiling, alternating in one process (issue 14):
// linear(x[M, K], W[N, K] f16) at the bundled mini-code model's lm_head shape (K 128, N 50400) for a few
// row counts, then the runner's own lm_head (packed once at load for the small-K GEMM, gptj_runner.h) in a whole
// step of a one-layer sequence pool over M rows ("pool step": counting the lm_head's flops only, though the step also
// runs the layer, its attention, ln_f, each row's argmax scan and the step's round trip), each round followed by
// bench_probe.node's computePeak on the same threads.
//   node scripts/lmhead-gemm.mjs [--rows 8,16,32] [--rounds 5] [--k 128] [--n 50400]
// Prints per M the median GFLOP/s over the rounds (wall clock and CPU time) and its ratio to the median FMA ceiling.
import { parseArgs } from 'node:util';
import { Tensor, linear, getNumThreads } from '@gptj/tensor';
import { buildRunnerWeights, createCpuGPTJPool, createCpuGPTJRunner } from '@gptj/tensor/runner';

import { computePeak } from '../dist/table/compute-peak.js';
import { median } from '../dist/table/median.js';
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
const cfg = { vocabSize: N, nEmbd: K, nLayer: 1, nHead: 4, nInner: 4 * K, rotaryDim: 4, layerNormEpsilon: 1e-5 };
let seed = 100;
const weights = buildRunnerWeights(cfg, ({ key, shape }) =>
  key === 'lmHead'
    ? w
    : Tensor.fromArray(
        randomArray(
          shape.reduce((a, b) => a * b, 1),
          seed++,
        ),
        shape,
        { dtype: shape.length === 2 ? 'f16' : 'f32' },
      ),
);
const runner = createCpuGPTJRunner(cfg, weights);
const rowSum = rows.reduce((a, b) => a + b, 0); // every M keeps its sequences in the one pool
const pool = createCpuGPTJPool(runner, { maxSequences: rowSum, maxTokens: 80 * rowSum });
const out = new Float32Array(Math.max(...rows) * N);
const best = new Int32Array(2 * Math.max(...rows));

// GFLOP/s of `calls` calls of `call` (one product of M rows; one warm-up call first): by the wall clock, and per
// CPU-second of the process times the threads (the cores are shared: a thread that waits for its core costs no CPU time).
async function gflops(M, calls, call) {
  await call();
  const c0 = process.cpuUsage(),
    t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  const s = Number(process.hrtime.bigint() - t0) / 1e9,
    c = process.cpuUsage(c0);
  const flop = (calls * 2 * M * N * K) / 1e9;
  return { wall: flop / s, cpu: (flop / ((c.user + c.system) / 1e6)) * threads };
}
const viaLinear = (M) => () => linear(xs.get(M), w).dispose();
// one token per row of a pool step into one out array (the runner's own lm_head, and the scan of each row the
// pool does for greedy decoding, as the server's steps), fresh sequences every 64 steps (attention stays short)
const viaRunner = (M) => {
  let ids = [],
    steps = 0;
  return async () => {
    if (steps++ % 64 === 0) {
      for (const id of ids) pool.remove(id);
      ids = Array.from({ length: M }, () => pool.add());
    }
    await pool.step(
      ids.map((id, i) => ({ id, ids: [(i + steps) % N] })),
      out,
      best,
    );
  };
};
const poolSteps = new Map(rows.map((M) => [M, viaRunner(M)]));

const got = new Map(
  rows.flatMap((M) => [
    [`${M}`, []],
    [`${M} pool step`, []],
  ]),
);
const peak = [];
for (let r = 0; r < rounds; r++) {
  for (const M of rows) {
    got.get(`${M}`).push(await gflops(M, 20, viaLinear(M)));
    got.get(`${M} pool step`).push(await gflops(M, 20, poolSteps.get(M)));
  }
  peak.push(computePeak(threads, 3).fmaGflops);
}
const p = median(peak);
console.log(`threads ${threads}, W [${N}, ${K}] f16, FMA ceiling ${p.toFixed(0)} GFLOP/s (median of ${rounds})`);
for (const [label, runs] of got) {
  const g = median(runs.map((r) => r.wall)),
    c = median(runs.map((r) => r.cpu));
  const pct = (v) => `${((100 * v) / p).toFixed(1)}%`;
  console.log(`M ${label}: ${g.toFixed(1)} GFLOP/s (${pct(g)} of the ceiling), per CPU-second x threads ${c.toFixed(1)} (${pct(c)})`);
}
for (const x of xs.values()) x.dispose();
pool.dispose();
runner.dispose();
w.dispose();
