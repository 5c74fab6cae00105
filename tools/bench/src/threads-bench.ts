// Thread-pool benchmark (issue 15): decode ms/token of the CPU GPT-J runner at 1 thread, the default
// thread count and twice the cores, first on an idle machine, then with one competing CPU-bound process
// per core (`node -e 'for(;;){}'`), and the ratio of each to 1 thread under the same load.
// Thread counts alternate within each of --rounds rounds and each figure is the median of its rounds, so a
// neighbour's load that comes and goes on a shared host hits every thread count alike.
//   node dist/threads-bench.js [--tokens 32] [--rounds 3] [--models mini,wide] [--loads idle,busy]
// Models (random weights, deterministic; timing depends on the shape only):
//   mini  the bundled mini-code checkpoint's shape (packages/mini-code/checkpoint/config.json), f32 weights
//   wide  n_embd 2048, 8 layers, vocab 50400, f16 weights (1.2 GB): bandwidth-bound like GPT-J 6B
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

import { Tensor, getNumThreads, setNumThreads } from '@gptj/tensor';
import { type CpuGPTJRunner, type GPTJRunnerConfig, createCpuGPTJRunner } from '@gptj/tensor/runner';
import { randomArray } from './table/random.js';
import { positiveInt } from './options.js';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    models: { type: 'string', default: 'mini,wide' },
    loads: { type: 'string', default: 'idle,busy' },
  },
});
const tokens = positiveInt('tokens', values.tokens);
const rounds = positiveInt('rounds', values.rounds);

const cores = availableParallelism();
const defaultThreads = getNumThreads();

interface Shape {
  config: GPTJRunnerConfig;
  dtype: 'f32' | 'f16';
}

function miniShape(): Shape {
  const path = new URL('../../../packages/mini-code/checkpoint/config.json', import.meta.url);
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, number | null>;
  const nEmbd = c.n_embd as number;
  return {
    config: {
      vocabSize: c.vocab_size as number,
      nEmbd,
      nLayer: c.n_layer as number,
      nHead: c.n_head as number,
      nInner: (c.n_inner as number | null) ?? 4 * nEmbd,
      rotaryDim: c.rotary_dim as number,
      layerNormEpsilon: 1e-5,
    },
    dtype: 'f32',
  };
}

const SHAPES: Record<string, () => Shape> = {
  mini: miniShape,
  wide: () => ({ config: { vocabSize: 50400, nEmbd: 2048, nLayer: 8, nHead: 16, nInner: 8192, rotaryDim: 64, layerNormEpsilon: 1e-5 }, dtype: 'f16' }),
};

// One random block (values in [-0.02, 0.02)) tiled over every weight: fast to make for 600M values.
const BLOCK = randomArray(1 << 20, 1, 0.02);

function weight(shape: number[], dtype: 'f32' | 'f16', fill?: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const a = new Float32Array(n);
  if (fill !== undefined) a.fill(fill);
  else for (let i = 0; i < n; i += BLOCK.length) a.set(BLOCK.subarray(0, Math.min(BLOCK.length, n - i)), i);
  return Tensor.fromArray(a, shape, { dtype });
}

function makeRunner({ config, dtype }: Shape): { runner: CpuGPTJRunner; tensors: Tensor[] } {
  const { vocabSize: V, nEmbd: D, nInner: I } = config;
  const tensors: Tensor[] = [];
  const t = (shape: number[], dt: 'f32' | 'f16' = 'f32', fill?: number) => {
    const x = weight(shape, dt, fill);
    tensors.push(x);
    return x;
  };
  const layers = Array.from({ length: config.nLayer }, () => ({
    lnGamma: t([D], 'f32', 1),
    lnBeta: t([D], 'f32', 0),
    q: t([D, D], dtype),
    k: t([D, D], dtype),
    v: t([D, D], dtype),
    out: t([D, D], dtype),
    fcIn: t([I, D], dtype),
    fcInBias: t([I]),
    fcOut: t([D, I], dtype),
    fcOutBias: t([D]),
  }));
  const runner = createCpuGPTJRunner(config, {
    wte: t([V, D], dtype),
    lnfGamma: t([D], 'f32', 1),
    lnfBeta: t([D], 'f32', 0),
    lmHead: t([V, D], dtype),
    lmHeadBias: t([V]),
    layers,
  });
  return { runner, tensors };
}

/** Mean ms per decode step over `tokens` steps after an 8-token prompt (one untimed warm-up step). */
async function decodeMs(runner: CpuGPTJRunner): Promise<number> {
  const session = runner.createSession(1, tokens + 16);
  try {
    await session.forward([[1, 2, 3, 4, 5, 6, 7, 8]]);
    await session.forward([[9]]);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < tokens; i++) await session.forward([[10 + i]]);
    return Number(process.hrtime.bigint() - t0) / 1e6 / tokens;
  } finally {
    session.dispose();
  }
}

/** One busy-looping node process per core; resolves once they all run. */
async function startLoad(): Promise<ChildProcess[]> {
  const procs = Array.from({ length: cores }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  await Promise.all(procs.map((p) => new Promise((resolve, reject) => p.once('spawn', resolve).once('error', reject))));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return procs;
}

const threadCounts: [string, number][] = [
  ['1', 1],
  [`default (${defaultThreads})`, defaultThreads],
  [`2x cores (${2 * cores})`, 2 * cores],
];
const rows: string[][] = [['model', 'load', 'threads', 'pool size', 'ms/token', 'vs 1 thread']];
for (const name of values.models.split(',')) {
  const make = SHAPES[name];
  if (!make) throw new RangeError(`--models: unknown model '${name}' (mini, wide)`);
  const { runner, tensors } = makeRunner(make());
  for (const load of values.loads.split(',')) {
    if (load !== 'idle' && load !== 'busy') throw new RangeError(`--loads: unknown load '${load}' (idle, busy)`);
    const procs = load === 'busy' ? await startLoad() : [];
    try {
      const counts = threadCounts.map(([label, n]) => ({ label, n, poolSize: 0, runs: [] as number[] }));
      for (let r = 0; r < rounds; r++) {
        for (const c of counts) {
          setNumThreads(c.n);
          c.poolSize = getNumThreads();
          c.runs.push(await decodeMs(runner));
        }
      }
      const median = (ms: number[]) => ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!; // rounds >= 1
      const base = median(counts[0]!.runs); // the first thread count is the reference
      for (const c of counts) rows.push([name, load, c.label, String(c.poolSize), median(c.runs).toFixed(2), (median(c.runs) / base).toFixed(2)]);
    } finally {
      for (const p of procs) p.kill();
    }
  }
  runner.dispose();
  for (const x of tensors) x.dispose();
}
setNumThreads(defaultThreads);

console.log(`CPU GPT-J runner decode, median of ${rounds} rounds of ${tokens} tokens per figure, ${cores} cores available`);
// every row has a cell per column of the header row
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows)
  console.log(
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
