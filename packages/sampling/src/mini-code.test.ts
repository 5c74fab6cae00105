import { miniCodeSamples } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText } from './generate.js';
import type { CausalLM, TextTokenizer } from './interfaces.js';

// Greedy generation through the real model and tokenizer must reproduce transformers' greedy completions of the
// mini-code checkpoint. Both packages are built by other helpers; until their dist exports what is needed these
// tests are skipped, with the reason in the describe title.

const modelPkg = (await import('@gptj/model').catch(() => null)) as { loadModel?: (dir: string) => Promise<CausalLM & { dispose(): void }> } | null;
const tokPkg = (await import('@gptj/tokenizer').catch(() => null)) as { Tokenizer?: { fromDirectory(dir: string): Promise<TextTokenizer> } } | null;
const loadModel = typeof modelPkg?.loadModel === 'function' ? modelPkg.loadModel : null;
const fromDirectory = typeof tokPkg?.Tokenizer?.fromDirectory === 'function' ? tokPkg.Tokenizer.fromDirectory.bind(tokPkg.Tokenizer) : null;
const { miniCodeDir } = await import('@gptj/mini-code');
const samples = miniCodeSamples();

describe.skipIf(!loadModel || !fromDirectory)(
  'greedy generation on mini-code reproduces mini-code-samples.json (skipped while @gptj/model lacks loadModel or @gptj/tokenizer lacks Tokenizer.fromDirectory)',
  () => {
    let model: CausalLM & { dispose(): void };
    let tok: TextTokenizer;
    beforeAll(async () => {
      [model, tok] = await Promise.all([loadModel!(miniCodeDir), fromDirectory!(miniCodeDir)]);
    }, 60_000);
    afterAll(() => model?.dispose());

    it('each prompt alone, from its text: ids and text exactly', async () => {
      for (const s of samples) {
        const r = await generateText(model, tok, s.prompt, { doSample: false, maxNewTokens: s.new_ids.length });
        expect(r.usage.promptTokens).toBe(s.prompt_ids.length);
        expect(r.rows[0]!.ids, s.prompt).toEqual(s.new_ids);
        expect(r.rows[0]!.text, s.prompt).toBe(s.completion);
        expect(r.rows[0]!.finishReason).toBe('length');
      }
    }, 120_000);

    it('a float32 temperature so small that logits / T overflow (1e-40) samples the argmax: the greedy completions', async () => {
      for (const s of samples) {
        const r = await generateText(model, tok, s.prompt, { temperature: 1e-40, seed: 7, maxNewTokens: 16 });
        expect(r.rows[0]!.ids, s.prompt).toEqual(s.new_ids.slice(0, 16));
      }
    }, 120_000);

    it('all prompts in one left-padded batch: the same ids and text', async () => {
      const r = await generateText(
        model,
        tok,
        samples.map((s) => s.prompt_ids),
        { doSample: false, maxNewTokens: 48 },
      );
      expect(r.rows.map((row) => row.ids)).toEqual(samples.map((s) => s.new_ids));
      expect(r.rows.map((row) => row.text)).toEqual(samples.map((s) => s.completion));
    }, 120_000);
  },
);
