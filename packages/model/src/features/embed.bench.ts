// Embedding throughput on the demo checkpoint (@gptj/mini-code): texts/s for 256-token inputs (and 16-token
// ones, where per-call costs weigh more), through embed's micro-batches versus one text per call, and the
// CPU runner's forwardHidden versus the layer kit (one awaited op at a time). A benchmark, not a test:
//   cd packages/model && npx vitest bench --run src/features/embed.bench.ts
// The development host is shared and noisy, so each round runs every configuration once, in turn, and the
// printout gives each one's median over the rounds: texts/s = texts / median time.
import { miniCodeDir } from '@gptj/mini-code';
import { afterAll, beforeAll, bench } from 'vitest';
import { type GPTJModel, embed, loadModel } from '../index.js';
import { leftPad } from './inputs.js';
import { layerKitFinalStates } from './layer-states.js';
import { at } from '../at.js';

const TEXTS = 32;
// Distinct inputs of exactly `tokens` ids (below the GPT-2 vocabulary; the states' values do not matter here).
const texts = (tokens: number) => Array.from({ length: TEXTS }, (_, t) => Array.from({ length: tokens }, (_, i) => (t * 7919 + i * 104729) % 50000));

let model: GPTJModel;
const configs: [string, () => Promise<unknown>][] = [];
for (const tokens of [256, 16]) {
  const inputs = texts(tokens);
  for (const batchSize of [8, 32])
    configs.push([`${tokens} tok: runner, ${batchSize} per pass`, () => embed(model, inputs, { batchSize, tokenBudget: batchSize * tokens })]);
  configs.push([
    `${tokens} tok: runner, one text per call`,
    async () => {
      for (const input of inputs) await embed(model, [input]);
    },
  ]);
  configs.push([
    `${tokens} tok: layer kit, 8 per pass`,
    async () => {
      for (let i = 0; i < TEXTS; i += 8) {
        const { ids, mask } = leftPad(inputs.slice(i, i + 8));
        await layerKitFinalStates(model, ids, mask);
      }
    },
  ]);
}
const runs = configs.map(([name, run]) => ({ name, run, ms: [] as number[] }));

beforeAll(async () => {
  model = await loadModel(miniCodeDir);
});
afterAll(() => {
  for (const { name, ms } of runs) {
    const sorted = ms.toSorted((a, b) => a - b);
    const median = at(sorted, Math.floor(sorted.length / 2));
    console.log(
      `${name.padEnd(36)} ${((TEXTS * 1000) / median).toFixed(1).padStart(7)} texts/s (median ${median.toFixed(0)} ms for ${TEXTS} texts, ${ms.length} rounds)`,
    );
  }
  model.dispose();
});

let round = 0;
bench(
  `one round: each configuration once, ${TEXTS} texts each (mini-code, CPU)`,
  async () => {
    round++;
    for (let k = 0; k < runs.length; k++) {
      const { run, ms } = at(runs, (k + round) % runs.length); // rotate the order so no configuration always goes first
      const start = performance.now();
      await run();
      ms.push(performance.now() - start);
    }
  },
  { iterations: 9, time: 0, warmupIterations: 1 },
);
