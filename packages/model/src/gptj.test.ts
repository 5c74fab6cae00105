// GPT-J against transformers: every case of tools/fixtures/data/gptj-small-f32/reference.json in f32.
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { beforeAll, describe, expect, it } from 'vitest';
import { DisposedError, type GPTJModel, GPTJSession, RunnerSession, loadModel, positionIds } from './index.js';
import { relToMax } from './test-support/compare.js';
import { at } from './at.js';
import { batchShape, realPosition } from './test-support/shapes.js';
import { greedy } from './test-support/greedy.js';
import { withHoles } from './test-support/sparse.js';

interface Case {
  name: string;
  kind: 'logits' | 'padded' | 'greedy';
  positions?: string;
  input_ids?: number[][];
  attention_mask?: number[][];
  position_ids?: number[][];
  logits?: { file: string; shape: number[] };
  prompt_ids?: number[];
  new_ids?: number[];
}
const reference = readFixtureJson<{ cases: Case[] }>('gptj-small-f32', 'reference.json');
const cases = (kind: Case['kind']) => reference.cases.filter((c) => c.kind === kind).map((c) => [c.name, c] as const);

let model: GPTJModel;
beforeAll(async () => {
  model = await loadModel(fixturePath('gptj-small-f32'));
});

describe('GPT-J small (f32) vs transformers', () => {
  it.each(cases('logits'))('%s: logits within 1e-4 of the largest reference logit', async (_, c) => {
    const logits = await model.forward(c.input_ids!);
    const [b, t] = batchShape(c.input_ids!);
    expect(logits.shape).toEqual([b, t, 512]);
    const ref = readFixtureF32('gptj-small-f32', c.logits!.file);
    const keep = at(c.logits!.shape, 1); // "last N": only the last N positions are stored
    const all = logits.toFloat32Array();
    const got = new Float32Array(b * keep * 512);
    for (let r = 0; r < b; r++) got.set(all.subarray((r * t + t - keep) * 512, (r * t + t) * 512), r * keep * 512);
    expect(relToMax(got, ref)).toBeLessThan(1e-4);
    logits.dispose();
  });

  it.each(cases('padded'))('%s: position ids are those transformers used (cumsum(mask) - 1, pads 1)', (_, c) => {
    expect(positionIds(c.attention_mask!)).toEqual(c.position_ids);
    expect(() => positionIds([[1, 2]])).toThrow(/0 or 1/);
  });

  it.each(cases('padded'))('%s: left-padded batch matches where the mask is 1', async (_, c) => {
    const mask = c.attention_mask!;
    const logits = (await model.forward(c.input_ids!, { attentionMask: mask })).toFloat32Array();
    const ref = readFixtureF32('gptj-small-f32', c.logits!.file);
    expect(relToMax(logits, ref, realPosition(mask, 512))).toBeLessThan(1e-4);
  });

  it.each(cases('greedy'))('%s: greedy continuation identical through the KV cache', async (_, c) => {
    const { ids } = await greedy(model, c.prompt_ids!, c.new_ids!.length);
    expect(ids).toEqual(c.new_ids);
  });

  it('prefill + KV-cache decode equals full recompute at every step', async () => {
    const c = reference.cases.find((x) => x.name === 'greedy-a')!;
    const { ids, logits } = await greedy(model, c.prompt_ids!, 12);
    const all = [...c.prompt_ids!, ...ids];
    const full = (await model.forward([all.slice(0, -1)])).toFloat32Array();
    const p = c.prompt_ids!.length;
    logits.forEach((step, s) => {
      const at = (p - 1 + s) * 512;
      expect(relToMax(step, full.subarray(at, at + 512))).toBeLessThan(1e-5);
    });
  });

  it('hidden states match transformers output_hidden_states (embedding, block inputs, after ln_f)', async () => {
    const hidden = readFixtureJson<{ cases: { model: string; input_ids?: number[][]; file?: string; shape?: number[] }[] }>('hidden-refs', 'hidden.json');
    const c = hidden.cases.find((x) => x.model === 'gptj-small-f32')!;
    const ref = readFixtureF32('hidden-refs', c.file!);
    const states = await model.hiddenStates(c.input_ids!);
    expect(states.length).toBe(c.shape![0]);
    const per = ref.length / states.length;
    states.forEach((s, i) => expect(relToMax(s.toFloat32Array(), ref.subarray(i * per, (i + 1) * per))).toBeLessThan(1e-5));
  });

  it('sessions: left-padded batch decode and beam reorder follow the rows', async () => {
    // Row 1 is row 0's prompt left-padded by 2; after reorder([1, 0]) row 0 carries the padded one.
    const prompt = [5, 17, 300, 42];
    const session = model.createSession(2);
    const first = await session.forward(
      [
        [9, 9, ...prompt],
        [1, 2, 3, 4, 5, 6],
      ],
      [
        [0, 0, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
      ],
    );
    const alone = model.createSession(1);
    const ref = await alone.forward([prompt]);
    expect(relToMax(first.subarray(0, 512), ref)).toBeLessThan(1e-5);
    session.reorder([1, 0]);
    expect(session.length).toBe(6);
    const next = await session.forward([[7], [7]]);
    expect(relToMax(next.subarray(512), await alone.forward([[7]]))).toBeLessThan(1e-5);
    session.dispose();
    alone.dispose();
    await expect(session.forward([[1], [1]])).rejects.toThrow(/disposed/);
  });

  it('CPU sessions run on the GPT-J runner, step for step equal to the layer kit (GPTJSession)', async () => {
    const runner = model.createSession(2, 40);
    expect(runner).toBeInstanceOf(RunnerSession);
    const kit = new GPTJSession(model, 2, 40);
    const prompt = [Array.from({ length: 20 }, (_, i) => (i * 37) % 512), Array.from({ length: 20 }, (_, i) => (i * 11 + 3) % 512)];
    const mask = [new Array<number>(20).fill(1), Array.from({ length: 20 }, (_, i) => (i < 4 ? 0 : 1))];
    expect(await runner.forward(prompt, mask)).toEqual(await kit.forward(prompt, mask));
    for (const [step, ids] of [
      [[5], [6]],
      [[7], [8]],
      [[9], [10]],
    ].entries()) {
      expect(await runner.forward(ids)).toEqual(await kit.forward(ids));
      if (step === 0) for (const s of [runner, kit]) s.reorder([1, 1]);
    }
    runner.dispose();
    kit.dispose();
    await expect(kit.forward([[1], [1]])).rejects.toThrow(new DisposedError('GPTJSession has been disposed'));
    expect(() => kit.reorder([0, 1])).toThrow(DisposedError);
    await expect(kit.forward([[1]])).rejects.toThrow(/^GPTJSession has been disposed/);
  });

  it('rejects out-of-vocabulary ids and sequences past the context', async () => {
    await expect(model.forward([[512]])).rejects.toThrow(/token id 512 is outside \[0, 512\)/);
    await expect(model.forward([new Array(513).fill(1)])).rejects.toThrow(/513 positions exceed the context of 512/);
    expect(() => model.createSession(0)).toThrow(/positive integer/);
  });

  it('rejects a batch of no rows, too few KV caches, and id rows that are not arrays with a RangeError', async () => {
    // Each of these once read past the end of a list, or into a hole or a number, and crashed with a TypeError.
    await expect(model.forward([])).rejects.toThrow(new RangeError('GPTJModel: ids must be [B][T] with at least one row, got no rows'));
    await expect(model.hiddenStates([])).rejects.toThrow(/at least one row, got no rows/);
    const caches = model.newCaches(1, 4).slice(1);
    await expect(model.run([[1, 2]], [[1, 1]], caches, 0)).rejects.toThrow(new RangeError('GPTJModel: 3 blocks need 3 KV caches, got 2'));
    for (const c of caches) c.dispose();
    const session = model.createSession(2);
    await expect(session.forward([[1], 5 as never])).rejects.toThrow(new RangeError('RunnerSession.forward: row 1 of the ids is not an array'));
    await expect(session.forward(new Array(2))).rejects.toThrow(/row 0 of the ids is not an array/);
    await expect(session.forward([[1], [2]], [[1], 1 as never])).rejects.toThrow(/row 1 of the mask is not an array/);
    await expect(session.forward([[1], [2]], 5 as never)).rejects.toThrow(/the mask must be an array of rows, got number/);
    session.dispose();
  });

  it('rejects holes in ids, masks and beam rows (which map and some skip) with a RangeError naming the row', async () => {
    // Before: a TypeError from a row read as an array, a ShapeError from a mask one row short, or a silent reorder.
    await expect(model.forward(withHoles(2, { 0: [1] }))).rejects.toThrow(new RangeError('GPTJModel: row 1 of the ids is not an array'));
    await expect(model.forward([[1], 5 as never])).rejects.toThrow(new RangeError('GPTJModel: row 1 of the ids is not an array'));
    const caches = model.newCaches(2, 4);
    await expect(model.run([[1], [2]], withHoles(2, { 0: [1] }), caches, 0)).rejects.toThrow(new RangeError('GPTJModel: row 1 of the mask is not an array'));
    for (const c of caches) c.dispose();
    for (const session of [model.createSession(2), new GPTJSession(model, 2)]) {
      await session.forward([[1], [2]]);
      const who = session instanceof GPTJSession ? 'GPTJSession' : 'RunnerSession';
      expect(() => session.reorder(withHoles(2, { 0: 0 }))).toThrow(new RangeError(`${who}.reorder: need 2 row indices in [0, 2), got [0,]`));
      session.dispose();
    }
  });
});
