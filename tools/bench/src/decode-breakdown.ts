// Where the milliseconds of a GPT-J 6B decode step go, per weight dtype, at batch 1 (issue 16): one
// 6B-shaped block (d 4096, d_ff 16384, 16 heads of 256, rotary 64) run op by op through @gptj/tensor, the
// KV cache holding `--context` positions, plus ln_f and lm_head (vocab 50400); a step is 28 blocks and
// the head. Every figure is the mean over `--reps` steps; "overhead" is what the step took beyond its
// ops (JS calls, allocation). Random weights. The op-level account steps over ONE block's weights as all 28
// layers (113 MB for q4, 402 MB for f16), and its floor is the step's weight bytes at the best pass of a read
// probe taken right before that dtype.
// The runner (@gptj/tensor's CPU GPT-J runner, what `gptj` decodes with) fuses these ops into one native job
// per step. It steps over 28 distinct copies of the block, as a real model's layers are (over one shared
// block it read 67.6-76.3 ms for q4 at 2 threads where 28 copies read 76.3-91.1, alternated: the repeated
// block gains from caches and TLBs a real model does not have), in --rounds rounds of a read probe then --reps
// steps, each round against its own probe (table/floor-rounds.ts); the copies exist only while it runs.
//   node dist/decode-breakdown.js [--threads N] [--reps R] [--rounds N] [--context L] [--dtypes f16,q8,q4]
import { parseArgs } from 'node:util';

import {
  type DType,
  Tensor,
  add,
  attention,
  cast,
  gelu,
  getNumThreads,
  kvWrite,
  layerNorm,
  linear,
  probeReadBandwidth,
  rotary,
  setNumThreads,
} from '@gptj/tensor';
import { createCpuGPTJRunner } from '@gptj/tensor/runner';

import { positiveInt } from './options.js';
import { type DerivedRounds, alternateWithProbe, deriveRounds, formatSpread } from './table/floor-rounds.js';
import { randomArray } from './table/random.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    reps: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '5' },
    context: { type: 'string', default: '64' },
    dtypes: { type: 'string', default: 'f16,q8,q4' },
  },
});
const WEIGHT_DTYPES: readonly string[] = ['f16', 'bf16', 'q8', 'q4']; // the dtypes weightBytes below counts
if (values.threads !== undefined) setNumThreads(positiveInt('threads', values.threads));
const reps = positiveInt('reps', values.reps),
  rounds = positiveInt('rounds', values.rounds),
  context = positiveInt('context', values.context);
const dtypes = values.dtypes.split(',') as DType[];
for (const dtype of dtypes) {
  if (!WEIGHT_DTYPES.includes(dtype)) throw new RangeError(`--dtypes: ${dtype} is not one of ${WEIGHT_DTYPES.join(', ')}`);
}
const [D, FF, H, HD, ROT, V, LAYERS] = [4096, 16384, 16, 256, 64, 50400, 28];

const matrix = (rows: number, cols: number, seed: number, dtype: DType) => Tensor.fromArray(randomArray(rows * cols, seed, 0.02), [rows, cols], { dtype });
const vector = (n: number, seed: number) => Tensor.fromArray(randomArray(n, seed, 0.02), [n]);
const weightBytes = (dtype: DType, n: number) => (dtype === 'q4' ? (n * 18) / 32 : dtype === 'q8' ? n : 2 * n);

interface Timings {
  ops: Map<string, number[]>;
  step: number[];
  /** the runner's steps over 28 distinct copies of the block, with the probe of each round */
  runner: DerivedRounds;
}

type BlockWeight = 'ln_g' | 'ln_b' | 'q' | 'k' | 'v' | 'out' | 'fc_in' | 'fc_in_b' | 'fc_out' | 'fc_out_b';
/** One block's weights plus ln_f and the head. */
type Weights = Record<BlockWeight | 'lnf_g' | 'lnf_b' | 'head' | 'head_b', Tensor>;

/** One decode step of a block, each op timed into `t` (ms). */
function block(w: Record<BlockWeight, Tensor>, x: Tensor, k: Tensor, v: Tensor, pos: Tensor, t: Map<string, number[]>): Tensor {
  const held: Tensor[] = [];
  const op = (name: string, f: () => Tensor): Tensor => {
    const t0 = performance.now();
    const out = f();
    (t.get(name) ?? t.set(name, []).get(name)!).push(performance.now() - t0);
    held.push(out);
    return out;
  };
  const h = op('layer norm', () => layerNorm(x, w.ln_g, w.ln_b, 1e-5));
  const heads = (y: Tensor) => y.reshape([1, 1, H, HD]);
  const q = op('q, k, v projections', () => heads(linear(h, w.q)));
  const kk = op('q, k, v projections', () => heads(linear(h, w.k)));
  const vv = op('q, k, v projections', () => heads(linear(h, w.v)));
  const qr = op('rotary + KV write', () => rotary(q, pos, { rotaryDim: ROT, style: 'interleaved' }));
  const kr = op('rotary + KV write', () => rotary(kk, pos, { rotaryDim: ROT, style: 'interleaved' }));
  op('rotary + KV write', () => {
    kvWrite(k, kr, context - 1);
    kvWrite(v, vv, context - 1);
    return Tensor.zeros([1]);
  });
  const a = op('attention', () => attention(qr, k, v, { kvLength: context }).reshape([1, D]));
  const o = op('out_proj', () => linear(a, w.out));
  const f = op('fc_in + gelu', () => linear(h, w.fc_in, w.fc_in_b));
  const g = op('fc_in + gelu', () => gelu(f, 'tanh'));
  const m = op('fc_out', () => linear(g, w.fc_out, w.fc_out_b));
  const r = op('residual adds', () => add(add(x, o), m));
  for (const tt of held) if (tt !== r) tt.dispose();
  return r;
}

async function run(dtype: DType): Promise<{ t: Timings; bytes: number }> {
  const w: Weights = {
    ln_g: vector(D, 1),
    ln_b: vector(D, 2),
    q: matrix(D, D, 3, dtype),
    k: matrix(D, D, 4, dtype),
    v: matrix(D, D, 5, dtype),
    out: matrix(D, D, 6, dtype),
    fc_in: matrix(FF, D, 7, dtype),
    fc_in_b: vector(FF, 8),
    fc_out: matrix(D, FF, 9, dtype),
    fc_out_b: vector(D, 10),
    lnf_g: vector(D, 11),
    lnf_b: vector(D, 12),
    head: matrix(V, D, 13, dtype),
    head_b: vector(V, 14),
  };
  const cache = () => Tensor.fromArray(randomArray(H * context * HD, 15), [1, H, context, HD]);
  const [k, v] = [cache(), cache()];
  const pos = Tensor.fromArray(new Int32Array([context - 1]), [1, 1]);
  const t: Omit<Timings, 'runner'> = { ops: new Map(), step: [] };
  for (let rep = 0; rep <= reps; rep++) {
    // rep 0 warms up
    const ops = rep === 0 ? new Map<string, number[]>() : t.ops;
    const t0 = performance.now();
    let x = Tensor.fromArray(randomArray(D, 16 + rep), [1, D]);
    for (let l = 0; l < LAYERS; l++) {
      const y = block(w, x, k, v, pos, ops);
      x.dispose();
      x = y;
    }
    const t1 = performance.now();
    const hf = layerNorm(x, w.lnf_g, w.lnf_b, 1e-5);
    const logits = linear(hf, w.head, w.head_b);
    (ops.get('ln_f + lm_head') ?? ops.set('ln_f + lm_head', []).get('ln_f + lm_head')!).push(performance.now() - t1);
    for (const tt of [x, hf, logits]) tt.dispose();
    if (rep > 0) t.step.push(performance.now() - t0);
  }
  const bytes = LAYERS * weightBytes(dtype, 4 * D * D + 2 * D * FF) + weightBytes(dtype, V * D);
  for (const tt of [k, v, pos]) tt.dispose();
  try {
    return { t: { ...t, runner: deriveRounds(await runnerRounds(w, dtype), bytes) }, bytes };
  } finally {
    for (const tt of Object.values(w)) tt.dispose();
  }
}

const BLOCK_WEIGHTS: readonly BlockWeight[] = ['ln_g', 'ln_b', 'q', 'k', 'v', 'out', 'fc_in', 'fc_in_b', 'fc_out', 'fc_out_b'];

/** The block `w` as the runner's layer (the op-level names -> the runner's). */
const runnerLayer = (w: Record<BlockWeight, Tensor>) => ({
  lnGamma: w.ln_g,
  lnBeta: w.ln_b,
  q: w.q,
  k: w.k,
  v: w.v,
  out: w.out,
  fcIn: w.fc_in,
  fcInBias: w.fc_in_b,
  fcOut: w.fc_out,
  fcOutBias: w.fc_out_b,
});

/**
 * The CPU runner over `w` and 27 copies of it as its 28 layers: one warm-up step, then `rounds` rounds of a read
 * probe and `reps` steps. The copies are cast(t, t.dtype) (a bit-exact copy in native memory, placed as loaded
 * weights are, and freed as soon as they are disposed). wte is lm_head's matrix, or an f16 one for q4 (the
 * runner gathers embedding rows from f32/f16/bf16/q8 only).
 */
async function runnerRounds(w: Weights, dtype: DType) {
  const copies: Record<BlockWeight, Tensor>[] = [];
  const wte = dtype === 'q4' ? matrix(V, D, 13, 'f16') : w.head;
  try {
    for (let l = 1; l < LAYERS; l++) copies.push(Object.fromEntries(BLOCK_WEIGHTS.map((n) => [n, cast(w[n], w[n].dtype)])) as Record<BlockWeight, Tensor>);
    const config = { vocabSize: V, nEmbd: D, nLayer: LAYERS, nHead: H, nInner: FF, rotaryDim: ROT, layerNormEpsilon: 1e-5 };
    const runner = createCpuGPTJRunner(config, {
      wte,
      lnfGamma: w.lnf_g,
      lnfBeta: w.lnf_b,
      lmHead: w.head,
      lmHeadBias: w.head_b,
      layers: [w, ...copies].map(runnerLayer),
    });
    const session = runner.createSession(1, rounds * reps + 2);
    try {
      let id = 1;
      await session.forward([[id++]]); // warm-up
      return await alternateWithProbe({ rounds, steps: reps, probe_bytes: 256 << 20, probe_passes: 3 }, () => session.forward([[id++]]));
    } finally {
      session.dispose();
      runner.dispose();
    }
  } finally {
    for (const c of copies) for (const tt of Object.values(c)) tt.dispose();
    if (wte !== w.head) wte.dispose();
  }
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const results = new Map<DType, { t: Timings; bytes: number; probeBps: number }>();
for (const dtype of dtypes) {
  // the op-level steps' floor: a probe right before them (not the best over the dtypes, taken minutes apart)
  const probeBps = probeReadBandwidth(512 << 20, 3).best;
  results.set(dtype, { ...(await run(dtype)), probeBps });
}
const rows: string[][] = [['ms per step', ...dtypes]];
const names = [...results.get(dtypes[0]!)!.t.ops.keys()]; // split gives at least one
// A block op ran once per layer per rep (q/k/v three times): per-step ms = sum over the step / reps.
const perStep = (t: Timings, name: string) => t.ops.get(name)!.reduce((a, b) => a + b, 0) / reps;
for (const name of names) rows.push([name, ...dtypes.map((d) => perStep(results.get(d)!.t, name).toFixed(2))]);
const stepMs = (d: DType) => mean(results.get(d)!.t.step);
rows.push(['overhead (step - ops)', ...dtypes.map((d) => (stepMs(d) - names.reduce((s, n) => s + perStep(results.get(d)!.t, n), 0)).toFixed(2))]);
rows.push(['step', ...dtypes.map((d) => stepMs(d).toFixed(1))]);
rows.push(['weights read per step', ...dtypes.map((d) => `${(results.get(d)!.bytes / 1e9).toFixed(2)} GB`)]);
const floorMs = (d: DType) => (1e3 * results.get(d)!.bytes) / results.get(d)!.probeBps;
rows.push(['probe before the ops, best GB/s', ...dtypes.map((d) => (results.get(d)!.probeBps / 1e9).toFixed(1))]);
rows.push(['floor at that probe', ...dtypes.map((d) => floorMs(d).toFixed(1))]);
rows.push(['% of floor (floor / step)', ...dtypes.map((d) => `${((100 * floorMs(d)) / stepMs(d)).toFixed(0)}%`)]);
const runner = (d: DType) => results.get(d)!.t.runner;
rows.push(['runner step, 28 distinct blocks (median)', ...dtypes.map((d) => runner(d).step_ms_median.toFixed(1))]);
rows.push(['runner: median step vs probe median', ...dtypes.map((d) => formatSpread(runner(d).median_of_floor))]);
rows.push(['runner: fastest step vs probe best', ...dtypes.map((d) => formatSpread(runner(d).best_of_floor))]);
console.log(
  `GPT-J 6B decode step by op, batch 1, context ${context}, ${getNumThreads()} threads. Op-level rows: one block's ` +
    `weights as all 28 layers, mean of ${reps} steps, floor at the best pass of a probe taken right before them. ` +
    `Runner rows: 28 distinct copies of the block, ${rounds} rounds ` +
    `of a read probe then ${reps} steps, each round against its own probe: median of the rounds' ratios (range)`,
);
// every row has a cell per column of the header row
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
