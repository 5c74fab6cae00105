// One dtype of the bench table in its own process (so its peak RSS is its own): loads the model as `--dtype`
// does, then times a prefill of --prompt-tokens and --new-tokens greedy decode steps, --runs times, and prints
// one JSON line of figures. Started by bench.ts:
//   node dist/table/model-run.js --model DIR --dtype f16|int8|q4 --prompt-tokens 64 --new-tokens 16 --runs 3 [--threads N] [--no-mmap]
import { parseArgs } from 'node:util';

import { loadModel } from '@gptj/model';
import { getNumThreads, setNumThreads } from '@gptj/tensor';
import { benchIds, greedyIds } from '@gptj/tensor/bench';

export interface ModelRunFigures {
  dtype: string;
  threads: number;
  /** Whether weights kept as stored (f16 here) were views of the mapped file, or read into process memory. */
  mmap: boolean;
  load_s: number;
  prompt_tokens: number;
  new_tokens: number;
  /** Median over runs of one prefill's wall seconds, the process CPU seconds it used (all threads, user +
   * system), and of those the system's (page faults of mapped or fresh memory show there). */
  prefill_s: number;
  prefill_cpu_s: number;
  prefill_sys_s: number;
  /** Median over runs of (decode wall seconds / new tokens). */
  decode_s_per_token: number;
  peak_rss_bytes: number;
  config: { n_layer: number; n_embd: number; n_inner: number; vocab_size: number; n_positions: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      dtype: { type: 'string', default: 'f16' },
      'prompt-tokens': { type: 'string', default: '64' },
      'new-tokens': { type: 'string', default: '16' },
      runs: { type: 'string', default: '3' },
      threads: { type: 'string' },
      'no-mmap': { type: 'boolean', default: false },
    },
  });
  if (!values.model) throw new Error('model-run: --model DIR is required');
  if (values.threads !== undefined) setNumThreads(Number(values.threads));
  const [T, steps, runs] = [values['prompt-tokens'], values['new-tokens'], values.runs].map(Number) as [number, number, number];
  const t0 = performance.now();
  const model = await loadModel(values.model, {
    dtype: values.dtype === 'int8' ? 'q8' : (values.dtype as 'f16' | 'q4'),
    device: 'cpu',
    mmap: !values['no-mmap'],
  });
  const loadS = (performance.now() - t0) / 1e3;
  try {
    const ids = benchIds(T, model.vocabSize);
    const prefill: number[] = [],
      prefillCpu: number[] = [],
      prefillSys: number[] = [],
      decode: number[] = [];
    for (let r = 0; r < runs; r++) {
      const session = model.createSession(1);
      try {
        const c0 = process.cpuUsage();
        let t = performance.now();
        let logits = await session.forward([ids]);
        prefill.push((performance.now() - t) / 1e3);
        const c = process.cpuUsage(c0);
        prefillCpu.push((c.user + c.system) / 1e6);
        prefillSys.push(c.system / 1e6);
        t = performance.now();
        for (let i = 0; i < steps; i++) logits = await session.forward([greedyIds(logits)]);
        decode.push((performance.now() - t) / 1e3 / steps);
      } finally {
        session.dispose();
      }
    }
    const cfg = model.config;
    const out: ModelRunFigures = {
      dtype: values.dtype ?? 'f16',
      threads: getNumThreads(),
      mmap: !values['no-mmap'],
      load_s: loadS,
      prompt_tokens: T,
      new_tokens: steps,
      prefill_s: median(prefill),
      prefill_cpu_s: median(prefillCpu),
      prefill_sys_s: median(prefillSys),
      decode_s_per_token: median(decode),
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      config: { n_layer: cfg.nLayer, n_embd: cfg.nEmbd, n_inner: cfg.nInner, vocab_size: cfg.vocabSize, n_positions: cfg.nPositions },
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    model.dispose();
  }
}

await main();
