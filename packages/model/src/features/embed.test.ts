// Hidden states and pooled vectors against transformers' output_hidden_states (tools/fixtures/data/hidden-refs,
// float64-computed): every layer of the small fixture, and mean/last pooled final states of the mini-code
// prompts, through embed's batching (sorted, left-padded micro-batches).
import { miniCodeDir } from '@gptj/mini-code';
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, type GPTJModel, embed, loadModel } from '../index.js';
import { relToMax } from '../test-support/compare.js';
import { at } from '../at.js';
import { withHoles } from '../test-support/sparse.js';
import { finalStatesPath, layerKitFinalStates, runnerFinalStates } from './layer-states.js';

interface HiddenRefs {
  cases: { model: string; input_ids?: number[][]; file?: string; shape?: number[]; pooled?: { prompt_ids: number[]; mean: number[]; last: number[] }[] }[];
}
const refs = readFixtureJson<HiddenRefs>('hidden-refs', 'hidden.json');
const small = refs.cases.find((c) => c.model === 'gptj-small-f32')!;
const pooled = refs.cases.find((c) => c.model === 'gptj-mini-code')!.pooled!;

let model: GPTJModel;
let mini: GPTJModel;
beforeAll(async () => {
  model = await loadModel(fixturePath('gptj-small-f32'));
  mini = await loadModel(miniCodeDir);
});
afterAll(() => {
  model.dispose();
  mini.dispose();
});

describe('embed: hidden states', () => {
  const ref = readFixtureF32('hidden-refs', small.file!);
  const shape = small.shape!; // [n_layer + 1, B, T, D]
  const [layers, t, d] = [at(shape, 0), at(shape, 2), at(shape, 3)];
  const per = t * d;
  const ids = at(small.input_ids!, 0);
  // Shorter and longer neighbours put the reference row into a padded batch.
  const others = [[1, 2, 3], Array.from({ length: 20 }, (_, i) => (i * 31) % 512), [7]];

  it.each(Array.from({ length: layers }, (_, l) => l))(
    'layer %i equals transformers hidden_states[i] within 1e-5, alone and left-padded in a batch',
    async (layer) => {
      const want = ref.subarray(layer * per, (layer + 1) * per);
      const alone = at(await embed(model, [ids], { layer, pooling: 'none' }), 0);
      expect(alone.length).toBe(per);
      expect(relToMax(alone, want)).toBeLessThan(1e-5);
      const batched = await embed(model, [...others, ids], { layer, pooling: 'none', tokenBudget: 64 });
      expect(relToMax(at(batched, 3), want)).toBeLessThan(1e-5);
    },
  );

  it('layer -1 is the final state (after ln_f), the default', async () => {
    const a = at(await embed(model, [ids], { layer: -1, pooling: 'none' }), 0);
    const b = at(await embed(model, [ids], { pooling: 'none' }), 0);
    expect(a).toEqual(b);
    expect(relToMax(a, ref.subarray((layers - 1) * per))).toBeLessThan(1e-5);
  });
});

describe('embed: pooled mini-code vectors', () => {
  const prompts = pooled.map((p) => p.prompt_ids);
  it.each(['mean', 'last'] as const)('%s pooling of every prompt in one padded batch matches transformers within 1e-4', async (pooling) => {
    const got = await embed(mini, prompts, { pooling });
    got.forEach((v, i) => expect(relToMax(v, Float32Array.from(at(pooled, i)[pooling]))).toBeLessThan(1e-4));
  });

  it('normalize gives unit vectors along the pooled ones', async () => {
    const [raw, unit] = [await embed(mini, prompts), await embed(mini, prompts, { normalize: true })];
    unit.forEach((u, i) => {
      const norm = Math.hypot(...u);
      expect(norm).toBeCloseTo(1, 6);
      const r = at(raw, i);
      const rawNorm = Math.hypot(...r);
      expect(
        relToMax(
          u,
          r.map((x) => x / rawNorm),
        ),
      ).toBeLessThan(1e-6);
    });
  });

  it('micro-batches under a small token budget: input order kept, same vectors as one at a time, progress to the total', async () => {
    const inputs = Array.from({ length: 11 }, (_, i) => at(prompts, i % prompts.length).slice(0, 1 + (i % 7)));
    const seen: { done: number; total: number }[] = [];
    const batched = await embed(mini, inputs, { tokenBudget: 12, batchSize: 3, onProgress: (p) => seen.push(p) });
    expect(seen.every((p) => p.total === 11)).toBe(true);
    expect(seen.at(-1)!.done).toBe(11);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.map((p) => p.done)).toEqual(seen.map((p) => p.done).sort((a, b) => a - b));
    for (const [i, input] of inputs.entries()) {
      const alone = at(await embed(mini, [input]), 0);
      expect(relToMax(at(batched, i), alone)).toBeLessThan(1e-5);
    }
  });

  it('texts go through opts.encode', async () => {
    const codes = (s: string) => [...s].map((c) => c.charCodeAt(0));
    const fromText = at(await embed(mini, ['def f'], { encode: codes }), 0);
    expect(fromText).toEqual(at(await embed(mini, [codes('def f')]), 0));
  });
});

describe('embed: abort signal', () => {
  const inputs = Array.from({ length: 9 }, (_, i) => [1 + i, 2, 3]);

  it('stops between micro-batches with AbortedError saying how far it got', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    const run = embed(model, inputs, {
      batchSize: 2,
      signal: stop.signal,
      onProgress: (p) => {
        seen.push(p.done);
        if (p.done === 4) stop.abort();
      },
    });
    await expect(run).rejects.toThrow(new AbortedError('embed', 4, 9));
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toEqual([2, 4]); // no micro-batch ran after the abort
  });

  it('an already aborted signal runs nothing', async () => {
    const seen: number[] = [];
    await expect(embed(model, inputs, { signal: AbortSignal.abort(), onProgress: (p) => seen.push(p.done) })).rejects.toThrow(
      'embed: aborted after 0 of 9 inputs',
    );
    expect(seen).toEqual([]);
  });
});

describe('embed: bad input', () => {
  it.each([
    [['text'], {}, /input 0 is a text; pass opts.encode/],
    [[[1], []], {}, /input 1 has no tokens/],
    [[new Array(513).fill(1)], {}, /input 0 has 513 tokens, more than the context of 512/],
    [[[1, 512]], {}, /input 0: token id 512 is outside \[0, 512\)/],
    [[[1]], { layer: 4 }, /layer must be an integer in \[-4, 3\]/],
    [[[1]], { pooling: 'max' }, /pooling must be one of mean, last, none/],
    [[[1]], { tokenBudget: 0 }, /tokenBudget must be a positive integer/],
    [[{}], {}, /input 0 must be a string or an array of token ids, got object/],
    [withHoles(2, { 1: [1] }), {}, /input 0 must be a string or an array of token ids, got undefined/],
  ])('%j %j', async (inputs, opts, message) => {
    await expect(embed(model, inputs as never, opts as never)).rejects.toThrow(message);
  });
});

describe('final states: the CPU runner fast path (forwardHidden, no lm_head) against the layer kit', () => {
  it.each([
    ['one row', [[5, 17, 300, 42, 7, 7, 99, 511]], [[1, 1, 1, 1, 1, 1, 1, 1]]],
    [
      'left-padded batch',
      [
        [0, 0, 0, 4, 5, 6],
        [1, 2, 3, 4, 5, 6],
        [0, 9, 8, 7, 6, 5],
      ],
      [
        [0, 0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
        [0, 1, 1, 1, 1, 1],
      ],
    ],
  ])('%s: equal where the mask is 1', async (_, ids, mask) => {
    for (const m of [model, mini]) {
      const [fast, kit] = [await runnerFinalStates(m, ids, mask), await layerKitFinalStates(m, ids, mask)];
      const d = m.config.nEmbd;
      expect(relToMax(fast, kit, (i) => mask.flat()[Math.floor(i / d)] === 1)).toBeLessThan(1e-6);
    }
  });

  // embed-cuda.test.ts runs the CUDA side on a GPU machine; which path a model takes is decided here.
  it("runs wherever the model's sessions use a runner: the CPU, CUDA unless runnerUnsupported says why not", () => {
    expect(finalStatesPath(model)).toBe(runnerFinalStates);
    const onCuda = (runnerUnsupported: string | null) =>
      Object.create(model, { device: { value: 'cuda' }, runnerUnsupported: { value: runnerUnsupported } }) as GPTJModel;
    expect(finalStatesPath(onCuda(null))).toBe(runnerFinalStates);
    expect(finalStatesPath(onCuda('the CUDA runner fuses the tanh gelu, this model uses the exact one'))).toBe(layerKitFinalStates);
  });

  it("a disposed model is refused with the tensor package's typed error", async () => {
    const m = await loadModel(fixturePath('gptj-small-f32'));
    await embed(m, [[1, 2]]);
    m.dispose();
    await expect(embed(m, [[1, 2]])).rejects.toThrow(/disposed/);
  });
});
