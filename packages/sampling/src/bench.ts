// Per-token overhead of the sampling pipeline over a 50400-wide vocabulary (GPT-J's logits), no model involved.
// Run: pnpm bench [-- steps] (tsconfig.bench.json compiles it to build/bench/: it is not published).
// Each figure is timed in 5 rounds; the best and the median round are printed (the best is the one to
// quote on a shared machine; the median shows the noise).
import { generate } from './generate.js';
import type { CausalLM, LMSession, SequencePool, TextTokenizer } from './interfaces.js';
import { parseGenerateOptions, type GenerateOptions } from './options.js';
import { buildPipeline } from './pipeline.js';
import { MultinomialSampler } from './samplers.js';
import { Scheduler } from './scheduler/scheduler.js';

const V = 50400;
const STEPS = Number(process.argv[2] ?? 1000);
const ROUNDS = 5;
const ROWS = 16;

// LM-like logits: a heavy head over a flat tail (approximately normal, sd 2.5, a few strong candidates)
const logitRows = Array.from({ length: ROWS }, (_, r) => {
  const row = new Float32Array(V);
  let x = 0x1234567 + r;
  const u = () => {
    x = Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9;
    x ^= x >>> 13;
    return ((x >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < V; i++) row[i] = 2.5 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  for (let j = 0; j < 20; j++) row[Math.floor(u() * 50257)] = 12 + 4 * u();
  return row;
});

const allOn: GenerateOptions = {
  temperature: 0.8,
  topK: 50,
  topP: 0.9,
  minP: 0.02,
  typicalP: 0.95,
  epsilonCutoff: 1e-4,
  repetitionPenalty: 1.1,
  presencePenalty: 0.4,
  frequencyPenalty: 0.3,
  noRepeatNgramSize: 3,
  minNewTokens: 4,
  logitBias: { 198: 1.5, 50256: -2, 1000: 3 },
  badWordsIds: [[100], [200, 300], [11, 12, 13]],
  sequenceBias: [
    [[5], 1],
    [[7, 8], -2],
  ],
  maxNewTokens: STEPS,
};

function timePipeline(label: string, options: GenerateOptions, historyLength: number): void {
  const o = parseGenerateOptions(options);
  const { processors, warpers } = buildPipeline(o, [50256], [50257, 50400]);
  const sampler = new MultinomialSampler(1);
  const ids = Array.from({ length: historyLength }, (_, i) => (i * 7919) % 50257);
  const scores = new Float32Array(V);
  const run = (n: number) => {
    for (let s = 0; s < n; s++) {
      scores.set(logitRows[s % ROWS]!);
      const ctx = { ids, promptLength: historyLength >> 1 };
      processors.process(scores, ctx);
      const cand = warpers.run(scores, ctx);
      const pick = sampler.select(cand.scores);
      ids[historyLength - 1 - (s % 8)] = cand.ids ? cand.ids[pick]! : pick;
    }
  };
  run(200); // warm up the JIT
  const rounds = Array.from({ length: ROUNDS }, () => {
    const copy = timeCopy(STEPS);
    const t0 = performance.now();
    run(STEPS);
    return (performance.now() - t0 - copy) / STEPS;
  });
  report(label, rounds);
}

function report(label: string, msPerToken: number[], note = ''): void {
  const sorted = [...msPerToken].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  console.log(`${label.padEnd(58)} best ${sorted[0]!.toFixed(3)} ms/token, median ${median.toFixed(3)}${note}`);
}

/** Cost of copying a row into the scores buffer (done by the harness, not the pipeline). */
function timeCopy(n: number): number {
  const scores = new Float32Array(V);
  const t0 = performance.now();
  for (let s = 0; s < n; s++) scores.set(logitRows[s % ROWS]!);
  return performance.now() - t0;
}

const tokenizer: TextTokenizer = {
  encode: () => [],
  decode: () => '',
  createStreamDecoder: () => ({ write: (id) => (id % 3 === 0 ? ' tok' : 'en'), end: () => '' }),
};
const prompt = Array.from({ length: 512 }, (_, i) => (i * 31) % 50257);

/** The whole generate() loop (events, stream decoding, stop strings) over a model that costs nothing. */
async function timeLoop(label: string, options: GenerateOptions): Promise<void> {
  let step = 0;
  const logits = new Float32Array(V);
  const session: LMSession = {
    batchSize: 1,
    length: 0,
    forward: async () => (logits.set(logitRows[step++ % ROWS]!), logits),
    reorder: () => {},
    dispose: () => {},
  };
  const model: CausalLM = { vocabSize: V, maxLength: 1 << 20, eosTokenId: 50256, createSession: () => session };
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let tokens = 0;
    const t0 = performance.now();
    for await (const e of generate(model, tokenizer, prompt, { ...options, stop: ['\n\n', '###'], eosTokenId: null })) if (e.type === 'token') tokens++;
    rounds.push((performance.now() - t0) / tokens);
  }
  report(label, rounds, ` (incl. the fake model's ${V}-float copy per step)`);
}

/** The Scheduler's cost per token (admission, chunked prefill, per-row decoding, event streams) over a free pool. */
async function timeScheduler(label: string, options: GenerateOptions, concurrent: number): Promise<void> {
  let step = 0;
  const pool: SequencePool = {
    maxSequences: concurrent,
    blockSize: 1,
    freeTokens: 1 << 30,
    add: () => 0,
    fork: () => 0,
    remove: () => {},
    length: () => 0,
    step: async (entries) => {
      const out = new Float32Array(entries.length * V);
      entries.forEach((_, i) => out.set(logitRows[step++ % ROWS]!, i * V));
      return out;
    },
    dispose: () => {},
  };
  let nextId = 0;
  const model: CausalLM = {
    vocabSize: V,
    maxLength: 1 << 20,
    eosTokenId: 50256,
    createSession: () => {
      throw new Error('unused');
    },
    createSequencePool: () => ({ ...pool, add: () => nextId++ }),
  };
  const perRequest = Math.ceil(STEPS / concurrent);
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const scheduler = new Scheduler(model, tokenizer, { maxSequences: concurrent, prefillChunk: 512 * concurrent });
    let tokens = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrent }, async (_, i) => {
        for await (const e of scheduler.submit(prompt, { ...options, maxNewTokens: perRequest, seed: i, stop: ['\n\n', '###'], eosTokenId: null }))
          if (e.type === 'token') tokens++;
      }),
    );
    rounds.push((performance.now() - t0) / tokens);
    await scheduler.close();
  }
  report(label, rounds, ` (incl. the fake pool's ${V}-float copy per row)`);
}

console.log(`vocabulary ${V}, ${ROUNDS} rounds of ${STEPS} tokens, node ${process.version}`);
timePipeline('all processors on, history 1024', allOn, 1024);
timePipeline('all processors on, history 2048', allOn, 2048);
timePipeline('top-p 0.9 alone (no top-k: the full row)', { topP: 0.9, maxNewTokens: STEPS }, 1024);
timePipeline('typical-p 0.9 alone (no top-k: the full row)', { typicalP: 0.9, maxNewTokens: STEPS }, 1024);
timePipeline('plain multinomial (temperature 1, no processors)', { maxNewTokens: STEPS }, 1024);
await timeLoop('generate() loop, all processors on, free model (2 stop strings)', allOn);
await timeScheduler('Scheduler, 1 request, all processors on, free pool', allOn, 1);
await timeScheduler('Scheduler, 32 concurrent, all processors on, free pool', allOn, 32);
