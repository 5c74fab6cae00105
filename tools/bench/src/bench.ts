// `pnpm bench`: one table for all of issue 16, and its JSON.
//   node dist/bench.js [--model DIR] [--dtypes f16,int8,q4] [--prompt-tokens 64] [--runs 3] [--rounds 8]
//                      [--new-tokens 4] [--threads N] [--reps 3] [--json PATH] [--no-mmap] [--tiny]
// Floor methods against the C reference reader, the compute ceiling, small-M GEMM against GEMV rows and the
// floor, then per dtype (each in its own process, for its own peak RSS): load, prefill (--runs, against the
// ceiling measured again right before it) and decode (--rounds of a read probe then --new-tokens steps, in
// the model's process: table/floor-rounds.ts). Every ratio is computed from figures of this run
// and stored beside them (table/report.ts). Without --model it writes a smaller random GPT-J (table/random-model.ts)
// and says so; a 6B run: flock /tmp/gptj-6b.lock pnpm bench --model /work/ckpt-6b.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { getNumThreads, setNumThreads } from '@gptj/tensor';

import { computePeak } from './table/compute-peak.js';
import { measureFloor } from './table/floor.js';
import type { ModelRunFigures } from './table/model-run.js';
import { measurePeak } from './table/peak.js';
import { SMALL_SHAPE, TINY_SHAPE, writeRandomModel } from './table/random-model.js';
import { type BenchReport, deriveFloor, deriveModel, derivePeak, deriveSmallM, formatTable } from './table/report.js';
import { type SmallMCase, measureSmallM } from './table/small-m.js';
import { formatSource, sourceState } from './table/source-state.js';
import { positiveInt } from './options.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    dtypes: { type: 'string', default: 'f16,int8,q4' },
    'prompt-tokens': { type: 'string', default: '64' },
    'new-tokens': { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '8' },
    threads: { type: 'string' },
    reps: { type: 'string', default: '3' },
    json: { type: 'string' },
    tiny: { type: 'boolean', default: false },
    // weights read into process memory rather than mapped (as gptj --no-mmap): no page faults during the runs
    'no-mmap': { type: 'boolean', default: false },
  },
});
if (values.threads !== undefined) setNumThreads(positiveInt('threads', values.threads));
const threads = getNumThreads();
const reps = positiveInt('reps', values.reps);
const dtypes = (values.dtypes ?? '').split(',');
for (const d of dtypes) if (!['f16', 'int8', 'q4'].includes(d)) throw new RangeError(`--dtypes: ${d} is not one of f16, int8, q4`);
const tiny = values.tiny ?? false;
const started = new Date().toISOString(); // run.started: before the first measurement
const source = sourceState();

const scratch = mkdtempSync(join(tmpdir(), 'gptj-bench-'));
try {
  const generated = values.model === undefined;
  const modelDir = values.model ?? join(scratch, 'model');
  const shape = tiny ? TINY_SHAPE : SMALL_SHAPE;
  if (generated) {
    console.error(`no --model: writing a random GPT-J (${JSON.stringify(shape)}) to ${modelDir}; use --model DIR for a real one`);
    writeRandomModel(modelDir, shape);
  }

  const floorBytes = tiny ? 64 << 20 : 512 << 20;
  const floor = deriveFloor(await measureFloor(floorBytes, threads, tiny ? 1 : reps, tiny ? 1 : 3));
  const peak = derivePeak(measurePeak(threads, tiny ? 1 : reps));

  // 6B shapes: fc_in at 5, 8 and 16 rows (batched decode of 4-16 streams), the mini-code lm_head at 32 rows
  // (one step of a 32-client server); --tiny: small stand-ins.
  const smallCases: SmallMCase[] = tiny
    ? [{ dtype: 'f16', M: 8, K: 256, N: 1024, role: 'tiny stand-in' }]
    : [
        ...(['f16', 'q8', 'q4'] as const).flatMap((dtype) => [5, 8, 16].map((M) => ({ dtype, M, K: 4096, N: 16384, role: `6B fc_in, ${M} streams` }))),
        { dtype: 'f16', M: 32, K: 128, N: 50400, role: 'mini-code lm_head, 32 clients' },
      ];
  const smallM = smallCases.map((c) => deriveSmallM(measureSmallM(c, tiny ? 2 : 5 * reps), floor));

  const runner = fileURLToPath(new URL('./table/model-run.js', import.meta.url));
  const models = [];
  for (const dtype of dtypes) {
    const alongside = { fma_gflops: computePeak(threads, tiny ? 1 : 2).fmaGflops };
    const args = [runner, '--model', modelDir, '--dtype', dtype, '--threads', String(threads)];
    for (const k of ['prompt-tokens', 'new-tokens', 'runs', 'rounds'] as const) args.push(`--${k}`, String(positiveInt(k, values[k])));
    if (tiny) args.push('--probe-mib', '64', '--probe-passes', '1');
    if (values['no-mmap']) args.push('--no-mmap');
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    models.push(deriveModel(JSON.parse(out.trim().split('\n').pop() ?? '') as ModelRunFigures, alongside));
  }

  const report: BenchReport = {
    run: {
      started,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      threads,
      model: generated ? `random GPT-J written for this run: ${JSON.stringify(shape)}` : modelDir,
      generated,
      command: process.argv.slice(2).join(' '),
      source,
    },
    floor,
    peak,
    small_m: smallM,
    models,
  };
  const jsonPath = values.json ?? join(tmpdir(), `gptj-bench-${Date.now()}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`@gptj bench (issue 16): ${report.run.cpu}, ${threads} threads; model ${report.run.model}`);
  console.log(formatSource(source));
  console.log(formatTable(report));
  console.log(`JSON: ${jsonPath}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
