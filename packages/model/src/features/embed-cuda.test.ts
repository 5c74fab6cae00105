// Features on CUDA: the final states come from the CUDA runner's forwardHidden (f16 weights, activations and KV
// cache; f32 residual and states), checked against the CPU runner's forwardHidden and the layer kit on CUDA over
// gptj-small-f32, and through embed against transformers' output_hidden_states (tools/fixtures/data/hidden-refs):
// the small fixture's final states and the mini-code prompts' pooled vectors. Errors are max |a - b| over max
// |reference| and are printed as "[cuda] ..." lines (tools/gpu-check.sh lists them). Runs on a GPU machine; skipped,
// with the reason in the suite title, elsewhere (embed.test.ts checks which path a model takes without a GPU).
import { cudaAvailable } from '@gptj/tensor';
import { miniCodeDir } from '@gptj/mini-code';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GPTJModel, embed, loadModel } from '../index.js';
import { relToMax } from '../test-support/compare.js';
import { finalStatesPath, layerKitFinalStates, runnerFinalStates } from './layer-states.js';

interface HiddenRefs {
  cases: { model: string; input_ids?: number[][]; file?: string; shape?: number[]; pooled?: { prompt_ids: number[]; mean: number[]; last: number[] }[] }[];
}
const cuda = cudaAvailable();
const F16 = 1e-2; // f16 weights and activations vs f32/f64 references, relative to the largest state
const refs = readFixtureJson<HiddenRefs>('hidden-refs', 'hidden.json');
const small = refs.cases.find((c) => c.model === 'gptj-small-f32')!;
const pooled = refs.cases.find((c) => c.model === 'gptj-mini-code')!.pooled!;

function report(what: string, errs: Record<string, number>): void {
  console.log(
    `[cuda] ${what}: ${Object.entries(errs)
      .map(([k, e]) => `${k} ${e.toExponential(2)}`)
      .join(', ')}`,
  );
}

describe.skipIf(!cuda.available)(`features on CUDA (${cuda.available ? 'GPU available' : `skipped: ${cuda.reason}`})`, () => {
  let cpu: GPTJModel;
  let gpu: GPTJModel;
  let mini: GPTJModel;
  beforeAll(async () => {
    cpu = await loadModel(fixturePath('gptj-small-f32'));
    gpu = await loadModel(fixturePath('gptj-small-f32'), { device: 'cuda' });
    mini = await loadModel(miniCodeDir, { device: 'cuda' });
  });
  afterAll(() => {
    for (const m of [cpu, gpu, mini]) m?.dispose();
  });

  it('a CUDA model the runner runs takes the runner path', () => {
    expect(gpu.runnerUnsupported).toBe(null);
    expect(finalStatesPath(gpu)).toBe(runnerFinalStates);
  });

  // The hidden-refs ids whole, and their last 5 and last 1 left-padded to the same width.
  const ids12 = small.input_ids![0]!;
  const padded = [0, 7, 11].map((pad) => ids12.map((id, t) => (t < pad ? 0 : id)));
  const paddedMask = [0, 7, 11].map((pad) => ids12.map((_, t) => (t < pad ? 0 : 1)));
  it.each([
    ['one row', [ids12], [ids12.map(() => 1)]],
    ['left-padded batch', padded, paddedMask],
  ])('%s: CUDA runner final states equal the CPU runner and the CUDA layer kit where the mask is 1', async (name, ids, mask) => {
    const d = gpu.config.nEmbd;
    const real = (i: number) => mask.flat()[Math.floor(i / d)] === 1;
    const fast = await runnerFinalStates(gpu, ids, mask);
    const errCpu = relToMax(fast, await runnerFinalStates(cpu, ids, mask), real);
    const errKit = relToMax(fast, await layerKitFinalStates(gpu, ids, mask), real);
    report(`final states, ${name}`, { 'CUDA runner vs CPU runner': errCpu, 'vs CUDA layer kit': errKit });
    expect(errCpu).toBeLessThan(F16);
    expect(errKit).toBeLessThan(F16);
  });

  it('embed: final states of the small fixture equal transformers, alone and left-padded in a batch', async () => {
    const [layers, , t, d] = small.shape! as [number, number, number, number];
    const want = readFixtureF32('hidden-refs', small.file!).subarray((layers - 1) * t * d);
    const [alone] = await embed(gpu, [ids12], { pooling: 'none' });
    const [, batched] = await embed(gpu, [[1, 2, 3], ids12, [7]], { pooling: 'none' });
    const errs = { alone: relToMax(alone!, want), batched: relToMax(batched!, want) };
    report('embed final states vs transformers', errs);
    expect(errs.alone).toBeLessThan(F16);
    expect(errs.batched).toBeLessThan(F16);
  });

  it.each(['mean', 'last'] as const)('embed: %s pooled mini-code vectors (one padded batch) equal transformers', async (pooling) => {
    const got = await embed(
      mini,
      pooled.map((p) => p.prompt_ids),
      { pooling },
    );
    const worst = Math.max(...got.map((v, i) => relToMax(v, Float32Array.from(pooled[i]![pooling]))));
    report(`mini-code ${pooling} pooling vs transformers`, { worst });
    expect(worst).toBeLessThan(F16);
  });
});
