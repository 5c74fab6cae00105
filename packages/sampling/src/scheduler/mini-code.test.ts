import { readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateText } from '../generate.js';
import type { CausalLM, TextTokenizer } from '../interfaces.js';
import type { GenerateOptions } from '../options.js';
import { Scheduler } from './scheduler.js';

// The scheduler on the real demo model: concurrent requests (chunked prefill, siblings, queueing) give exactly
// generate's ids and text, through the model's own sequence pool where it has one and the session fallback otherwise.

interface Sample {
  prompt: string;
  prompt_ids: number[];
  new_ids: number[];
  completion: string;
}
const { loadModel, GPTJModel: modelClass } = (await import('@gptj/model')) as unknown as {
  loadModel: (dir: string) => Promise<CausalLM & { dispose(): void }>;
  GPTJModel?: { prototype: object };
};
const { Tokenizer } = (await import('@gptj/tokenizer')) as unknown as { Tokenizer: { fromDirectory(dir: string): Promise<TextTokenizer> } };
const { miniCodeDir } = await import('@gptj/mini-code');
const samples = readFixtureJson<{ samples: Sample[] }>('mini-code-samples.json').samples;

describe('Scheduler on mini-code', () => {
  let model: CausalLM & { dispose(): void };
  let tok: TextTokenizer;
  beforeAll(async () => {
    [model, tok] = await Promise.all([loadModel(miniCodeDir), Tokenizer.fromDirectory(miniCodeDir)]);
  }, 60_000);
  afterAll(() => model?.dispose());

  const options: GenerateOptions[] = [
    { doSample: false, maxNewTokens: 24 },
    { temperature: 0.8, topP: 0.95, seed: 11, maxNewTokens: 20, stop: '\n\n' },
    { temperature: 0.6, topK: 20, seed: 12, maxNewTokens: 16, numReturnSequences: 2, logprobs: true },
    { doSample: false, maxNewTokens: 12, repetitionPenalty: 1.2, topLogprobs: 2 },
  ];

  /** The model as it is (its native pool where it has one), and the model with only sessions (the fallback). */
  const variants: [string, () => CausalLM][] = [
    ["the model's own pool", () => model],
    [
      'the session fallback',
      () => ({ vocabSize: model.vocabSize, maxLength: model.maxLength, eosTokenId: model.eosTokenId, createSession: (b: number) => model.createSession(b) }),
    ],
  ];

  it.each(variants)(
    'through %s: concurrent requests of different lengths and options give generate ids and texts',
    async (_, lm) => {
      const target = lm();
      const poolSpy = target.createSequencePool ? vi.spyOn(target, 'createSequencePool') : null;
      const s = new Scheduler(target, tok, { maxSequences: 4, prefillChunk: 5 });
      // GPTJModel.createSequencePool (the native CPU pool): the test must really run on it
      if (poolSpy) expect(poolSpy.mock.results[0]?.value).toBeTruthy();
      const jobs = samples.slice(0, 6).map((sample, i) => ({ prompt: sample.prompt, options: options[i % options.length]! }));
      const got = await Promise.all(
        jobs.map(async ({ prompt, options: o }) => {
          const rows: { ids: number[]; text: string }[] = [];
          for await (const e of s.submit(prompt, o)) {
            const row = (rows[e.row] ??= { ids: [], text: '' });
            row.text += e.text;
            if (e.type === 'token') row.ids.push(e.id);
          }
          return rows;
        }),
      );
      await s.close();
      poolSpy?.mockRestore();
      for (const [i, { prompt, options: o }] of jobs.entries()) {
        const ref = await generateText(model, tok, prompt, o);
        expect(got[i], prompt).toEqual(ref.rows.map((r) => ({ ids: r.ids, text: r.text })));
      }
    },
    120_000,
  );

  it.skipIf(!modelHasPool())(
    "with an f16 KV cache in the native pool: greedy continuations equal transformers' (mini-code-samples.json)",
    async () => {
      const spy = vi.spyOn(model, 'createSequencePool');
      const s = new Scheduler(model, tok, { maxSequences: 3, prefillChunk: 7, kvDtype: 'f16' });
      expect(spy).toHaveBeenCalledWith({ maxSequences: 3, kvDtype: 'f16' });
      spy.mockRestore();
      const got = await Promise.all(
        samples.map(async (sample) => {
          const ids: number[] = [];
          let text = '';
          for await (const e of s.submit(sample.prompt_ids, { doSample: false, maxNewTokens: sample.new_ids.length })) {
            text += e.text;
            if (e.type === 'token') ids.push(e.id);
          }
          return { ids, text };
        }),
      );
      await s.close();
      expect(got).toEqual(samples.map((sample) => ({ ids: sample.new_ids, text: sample.completion })));
    },
    120_000,
  );

  it.skipIf(!modelHasPool())(
    "20 rows a step, greedy ones asking for best alone (skipLogits) beside rows needing logits: generate's ids and texts",
    async () => {
      const spy = vi.spyOn(model, 'createSequencePool');
      const s = new Scheduler(model, tok, { maxSequences: 20, prefillChunk: 512 });
      const pool = spy.mock.results[0]?.value as { step: (entries: readonly { skipLogits?: unknown }[]) => Promise<Float32Array> };
      spy.mockRestore();
      const widths: [number, number][] = []; // [entries, of them skipLogits] per step
      const step = pool.step.bind(pool);
      pool.step = (entries, ...rest) => (widths.push([entries.length, entries.filter((e) => e.skipLogits).length]), step(entries, ...rest));
      // every fourth request needs its rows (top logprobs, or a processor); the rest are plain greedy
      const opts = (i: number): GenerateOptions =>
        i % 4 === 1
          ? { doSample: false, maxNewTokens: 12, topLogprobs: 2 }
          : i % 4 === 3
            ? { doSample: false, maxNewTokens: 12, repetitionPenalty: 1.2 }
            : { doSample: false, maxNewTokens: 12 };
      const jobs = Array.from({ length: 20 }, (_, i) => ({ prompt: samples[i % samples.length]!.prompt, options: opts(i) }));
      const got = await Promise.all(
        jobs.map(async ({ prompt, options: o }) => {
          const row = { ids: [] as number[], text: '' };
          for await (const e of s.submit(prompt, o)) {
            row.text += e.text;
            if (e.type === 'token') row.ids.push(e.id);
          }
          return [row];
        }),
      );
      await s.close();
      expect(widths.some(([n, skipped]) => n >= 17 && skipped >= 10 && skipped < n)).toBe(true);
      for (const [i, { prompt, options: o }] of jobs.entries()) {
        const ref = await generateText(model, tok, prompt, o);
        expect(got[i], `request ${i}`).toEqual(ref.rows.map((r) => ({ ids: r.ids, text: r.text })));
      }
    },
    120_000,
  );
});

/** Whether @gptj/model's GPTJModel has a native pool (known before the model loads: the method is on the class). */
function modelHasPool(): boolean {
  return typeof (modelClass?.prototype as { createSequencePool?: unknown } | undefined)?.createSequencePool === 'function';
}
