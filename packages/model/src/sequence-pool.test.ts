// GPTJModel.createSequencePool against transformers: greedy continuations decoded through one pool, the
// sequences joining at different steps, prefilling their prompts in chunks while the others decode, and
// leaving when done, must be transformers' own (the fixtures' new_ids), and each sequence's logits those of
// the sequence run alone in a session.
import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { miniCodeDir } from '@gptj/mini-code';
import { fixturePath, readFixtureJson } from '@gptj/test-fixtures';
import { MappedFileError, TensorError } from '@gptj/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GPTJModel, loadModel } from './index.js';
import { argmax, relToMax } from './test-support/compare.js';
import { greedy } from './test-support/greedy.js';
import { at } from './at.js';

interface Sample {
  prompt_ids: number[];
  new_ids: number[];
}

/**
 * Greedy decoding of every sample through one pool: sample i joins at step 2 * i, feeds its prompt in chunks of
 * up to `chunk` tokens, then one token per step, and leaves once it has its new_ids.length tokens.
 */
async function pooled(m: GPTJModel, samples: readonly Sample[], kvDtype: 'f32' | 'f16', chunk: number) {
  const pool = m.createSequencePool({ maxSequences: samples.length, maxTokens: 4096, kvDtype })!;
  const free = pool.freeTokens;
  const state = samples.map((sample, i) => ({ sample, joinStep: 2 * i, id: -1, fed: 0, ids: [] as number[], logits: [] as Float32Array[], done: false }));
  for (let step = 0; state.some((s) => !s.done); step++) {
    const entries: { id: number; ids: number[] }[] = [];
    const owners: typeof state = [];
    for (const s of state) {
      if (s.done || step < s.joinStep) continue;
      if (s.id < 0) s.id = pool.add();
      const prompt = s.sample.prompt_ids;
      const ids = s.fed < prompt.length ? prompt.slice(s.fed, s.fed + chunk) : [s.ids.at(-1)!];
      s.fed += ids.length;
      entries.push({ id: s.id, ids });
      owners.push(s);
    }
    const out = await pool.step(entries);
    owners.forEach((s, e) => {
      if (s.fed < s.sample.prompt_ids.length) return; // still prefilling: no token yet
      const logits = out.slice(e * m.vocabSize, (e + 1) * m.vocabSize);
      s.logits.push(logits);
      s.ids.push(argmax(logits));
      if (s.ids.length === s.sample.new_ids.length) {
        pool.remove(s.id);
        s.done = true;
      }
    });
  }
  expect(pool.freeTokens).toBe(free); // every block came back
  pool.dispose();
  return state;
}

describe('GPTJModel.createSequencePool', () => {
  let small: GPTJModel;
  let mini: GPTJModel;
  const reference = readFixtureJson<{ cases: (Sample & { kind: string })[] }>('gptj-small-f32', 'reference.json');
  const smallGreedy = reference.cases.filter((c) => c.kind === 'greedy');
  const miniSamples = readFixtureJson<{ samples: Sample[] }>('mini-code-samples.json').samples;
  beforeAll(async () => {
    small = await loadModel(fixturePath('gptj-small-f32'));
    mini = await loadModel(miniCodeDir);
  });
  afterAll(() => {
    small.dispose();
    mini.dispose();
  });

  it("gptj-small (f32): pooled greedy runs are transformers' and each sequence's logits its session's", async () => {
    const runs = await pooled(small, smallGreedy, 'f32', 3);
    for (const { sample: c, ids, logits } of runs) {
      expect(ids).toEqual(c.new_ids);
      const alone = await greedy(small, c.prompt_ids, c.new_ids.length);
      // The pool's prefill went in chunks of 3 beside other sequences, the session's in one piece: other summation orders.
      logits.forEach((l, t) => expect(relToMax(l, at(alone.logits, t))).toBeLessThan(1e-5));
    }
  });

  for (const kvDtype of ['f32', 'f16'] as const) {
    it(`mini-code (f16 weights), ${kvDtype} KV: five samples decoded together are transformers' continuations`, async () => {
      const runs = await pooled(mini, miniSamples, kvDtype, 4);
      for (const { sample, ids } of runs) expect(ids).toEqual(sample.new_ids);
    });
  }

  it('refuses a sequence past the context, naming it, and changes nothing', async () => {
    const pool = small.createSequencePool({ maxSequences: 1 })!;
    expect(pool.freeTokens).toBe(small.maxLength); // default maxTokens: maxSequences * context
    const id = pool.add();
    await pool.step([{ id, ids: Array.from({ length: small.maxLength - 1 }, (_, i) => i % 100) }]);
    await expect(pool.step([{ id, ids: [1, 2] }])).rejects.toThrow(TensorError);
    await expect(pool.step([{ id, ids: [1, 2] }])).rejects.toThrow(new RegExp(`${small.maxLength + 1} positions, past maxLength = ${small.maxLength}`));
    expect(pool.length(id)).toBe(small.maxLength - 1);
    expect((await pool.step([{ id, ids: [1] }])).length).toBe(small.vocabSize);
    pool.dispose();
    expect(() => small.createSequencePool({ maxSequences: 0 })).toThrow(/maxSequences must be an integer/);
  });

  it('a checkpoint truncated under a mapped model fails the step with MappedFileError and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gptj-pool-truncate-'));
    try {
      for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(fixturePath('gptj-small-f32'), f), join(dir, f));
      const m = await loadModel(dir);
      const pool = m.createSequencePool({ maxSequences: 2 })!;
      const [a, b] = [pool.add(), pool.add()];
      await pool.step([
        { id: a, ids: [1, 2, 3] },
        { id: b, ids: [4] },
      ]);
      const free = pool.freeTokens;
      truncateSync(join(dir, 'model.safetensors'), 4096);
      await expect(
        pool.step([
          { id: a, ids: [5] },
          { id: b, ids: [6] },
        ]),
      ).rejects.toThrow(MappedFileError);
      expect([pool.length(a), pool.length(b), pool.freeTokens]).toEqual([3, 1, free]);
      pool.dispose();
      m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
