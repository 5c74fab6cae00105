// One dtype of the bench table in its own process (so its peak RSS is its own): loads the model as `--dtype`
// does, times a prefill of --prompt-tokens --runs times, then continues the last run's session with greedy
// decode steps: --rounds rounds, each a read-bandwidth probe (--probe-mib, --probe-passes) and then
// --new-tokens timed steps (floor-rounds.ts: the floor is measured here, beside the steps it is compared
// with). Prints one JSON line of figures. Started by bench.ts:
//   node dist/table/model-run.js --model DIR --dtype f16|int8|q4 --prompt-tokens 64 --new-tokens 4 --runs 3
//                                [--rounds 8] [--probe-mib 256] [--probe-passes 3] [--threads N] [--no-mmap]
import { parseArgs } from 'node:util';

import { loadModel } from '@gptj/model';
import { getNumThreads, setNumThreads } from '@gptj/tensor';
import { benchIds, greedyIds } from '@gptj/tensor/bench';

import { positiveInt } from '../options.js';
import { type FloorRound, type RoundsPlan, alternateWithProbe } from './floor-rounds.js';
import { median } from './median.js';

export interface ModelRunFigures {
  dtype: string;
  threads: number;
  /** Whether weights kept as stored (f16 here) were views of the mapped file, or read into process memory. */
  mmap: boolean;
  load_s: number;
  prompt_tokens: number;
  /** Median over runs of one prefill's wall seconds, the process CPU seconds it used (all threads, user +
   * system), and of those the system's (page faults of mapped or fresh memory show there). */
  prefill_s: number;
  prefill_cpu_s: number;
  prefill_sys_s: number;
  /** Decode steps after the last prefill (one untimed warm-up step first), alternated with the read probe. */
  decode_plan: RoundsPlan;
  decode_rounds: FloorRound[];
  /** Peak RSS of load and prefill, taken before the decode rounds (whose probe allocates its own buffers). */
  peak_rss_bytes: number;
  config: { n_layer: number; n_embd: number; n_inner: number; vocab_size: number; n_positions: number };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      dtype: { type: 'string', default: 'f16' },
      'prompt-tokens': { type: 'string', default: '64' },
      'new-tokens': { type: 'string', default: '4' },
      runs: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '8' },
      'probe-mib': { type: 'string', default: '256' },
      'probe-passes': { type: 'string', default: '3' },
      threads: { type: 'string' },
      'no-mmap': { type: 'boolean', default: false },
    },
  });
  if (!values.model) throw new Error('model-run: --model DIR is required');
  if (values.threads !== undefined) setNumThreads(positiveInt('threads', values.threads));
  const T = positiveInt('prompt-tokens', values['prompt-tokens']),
    runs = positiveInt('runs', values.runs);
  const plan: RoundsPlan = {
    rounds: positiveInt('rounds', values.rounds),
    steps: positiveInt('new-tokens', values['new-tokens']),
    probe_bytes: positiveInt('probe-mib', values['probe-mib']) << 20,
    probe_passes: positiveInt('probe-passes', values['probe-passes']),
  };
  const t0 = performance.now();
  const model = await loadModel(values.model, {
    dtype: values.dtype === 'int8' ? 'q8' : (values.dtype as 'f16' | 'q4'),
    device: 'cpu',
    mmap: !values['no-mmap'],
  });
  const loadS = (performance.now() - t0) / 1e3;
  try {
    const cfg = model.config;
    const maxLength = T + 1 + plan.rounds * plan.steps; // the prompt, the warm-up step, the timed steps
    if (maxLength > cfg.nPositions)
      throw new RangeError(`model-run: --prompt-tokens + 1 + --rounds x --new-tokens = ${maxLength} exceeds the model's n_positions ${cfg.nPositions}`);
    const ids = benchIds(T, model.vocabSize);
    const prefill: number[] = [],
      prefillCpu: number[] = [],
      prefillSys: number[] = [];
    let decodeRounds: FloorRound[] = [],
      peakRss = 0;
    for (let r = 0; r < runs; r++) {
      const session = model.createSession(1, maxLength);
      try {
        const c0 = process.cpuUsage();
        const t = performance.now();
        let logits = await session.forward([ids]);
        prefill.push((performance.now() - t) / 1e3);
        const c = process.cpuUsage(c0);
        prefillCpu.push((c.user + c.system) / 1e6);
        prefillSys.push(c.system / 1e6);
        if (r < runs - 1) continue;
        // before the probe's buffers (probe_bytes, freed after each probe) count in the process's peak
        peakRss = process.resourceUsage().maxRSS * 1024;
        logits = await session.forward([greedyIds(logits)]); // warm-up
        decodeRounds = await alternateWithProbe(plan, async () => {
          logits = await session.forward([greedyIds(logits)]);
        });
      } finally {
        session.dispose();
      }
    }
    const out: ModelRunFigures = {
      dtype: values.dtype ?? 'f16',
      threads: getNumThreads(),
      mmap: !values['no-mmap'],
      load_s: loadS,
      prompt_tokens: T,
      prefill_s: median(prefill),
      prefill_cpu_s: median(prefillCpu),
      prefill_sys_s: median(prefillSys),
      decode_plan: plan,
      decode_rounds: decodeRounds,
      peak_rss_bytes: peakRss,
      config: { n_layer: cfg.nLayer, n_embd: cfg.nEmbd, n_inner: cfg.nInner, vocab_size: cfg.vocabSize, n_positions: cfg.nPositions },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    model.dispose();
  }
}

await main();
