// Embedding throughput on the demo checkpoint (@gptj/mini-code): texts/s for 256-token inputs (and 16-token
// ones, where per-call costs weigh more), through embed's micro-batches versus one text per call, and the
// layer kit (one awaited op at a time) versus the CPU runner's forwardHidden. A benchmark, not a test:
//   cd packages/model && npx vitest bench --run src/features/embed.bench.ts
// texts/s = texts per task / the median task time, printed at the end.
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { type GPTJModel, embed, loadModel } from '../index.js';
import { leftPad } from './inputs.js';
import { layerKitFinalStates } from './layer-states.js';

const TEXTS = 32;
// Distinct inputs of exactly `tokens` ids (below the GPT-2 vocabulary; the states' values do not matter here).
const texts = (tokens: number) => Array.from({ length: TEXTS }, (_, t) => Array.from({ length: tokens }, (_, i) => (t * 7919 + i * 104729) % 50000));

let model: GPTJModel;
const ms: Record<string, number[]> = {};
const timed = (name: string, fn: () => Promise<unknown>) => async () => {
  const start = performance.now();
  await fn();
  (ms[name] ??= []).push(performance.now() - start);
};

beforeAll(async () => { model = await loadModel(miniCodeDir); });
afterAll(() => {
  for (const [name, runs] of Object.entries(ms)) {
    const median = [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
    console.log(`${name.padEnd(40)} ${((TEXTS * 1000) / median).toFixed(1).padStart(7)} texts/s (median ${median.toFixed(0)} ms for ${TEXTS} texts, ${runs.length} runs)`);
  }
  model.dispose();
});

const opts = { iterations: 5, time: 0, warmupIterations: 1 };
for (const tokens of [256, 16]) {
  const inputs = texts(tokens);
  describe(`embed ${TEXTS} texts of ${tokens} tokens, mini-code, CPU`, () => {
    for (const batchSize of [8, 32]) {
      const name = `${tokens} tok: runner, ${batchSize} per pass`;
      bench(name, timed(name, () => embed(model, inputs, { batchSize, tokenBudget: batchSize * tokens })), opts);
    }
    const one = `${tokens} tok: runner, one text per call`;
    bench(one, timed(one, async () => {
      for (const input of inputs) await embed(model, [input]);
    }), opts);
    const kit = `${tokens} tok: layer kit, 8 per pass`;
    bench(kit, timed(kit, async () => {
      for (let i = 0; i < TEXTS; i += 8) {
        const { ids, mask } = leftPad(inputs.slice(i, i + 8));
        await layerKitFinalStates(model, ids, mask);
      }
    }), opts);
  });
}
