// JsonLogitsProcessor: the mask over GPT-J's 50400 logits equals trying each token's bytes one by one, EOS comes
// exactly when the value is complete, and sampled generations on the mini-code model are valid JSON (property).
import { Tokenizer } from '@gptj/tokenizer';
import { loadModel } from '@gptj/model';
import { miniCodeDir } from '@gptj/mini-code';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateText } from '../generate.js';
import { JsonCursor } from './json-grammar.js';
import { JsonLogitsProcessor } from './json-processor.js';

const tokenizer = Tokenizer.gptj();
const V = 50400;
const EOS = 50256;
const utf8 = new TextEncoder();

/** The scores the processor leaves for a row whose generated text is `text` (encoded with the tokenizer). */
function maskAfter(p: JsonLogitsProcessor, text: string): Float32Array {
  const ids = tokenizer.encode(text);
  const scores = new Float32Array(V);
  p.process(scores, { ids: [1, ...ids], promptLength: 1 });
  return scores;
}

/** Reference: a token is allowed iff its decoded bytes, fed one by one after `text`, are all accepted. */
function bruteForce(text: string): boolean[] {
  const after = new JsonCursor({ root: 'object', maxDepth: 16, maxWhitespace: 32 });
  for (const b of utf8.encode(text)) if (!after.step(b)) throw new Error(`not a JSON prefix: ${text}`);
  const special = new Set(tokenizer.specialTokens.values());
  return Array.from({ length: V }, (_, id) => {
    if (special.has(id)) return id === EOS && after.complete;
    const c = new JsonCursor(after.options);
    c.copyFrom(after);
    return utf8.encode(tokenizer.decode([id])).every((b) => c.step(b));
  });
}

describe('JsonLogitsProcessor on the GPT-J vocabulary', () => {
  const p = new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [EOS] });

  it.each(['', '{', '{"name', '{"a": [1, 2', '{"a": 1.5e', '{"a": "x\\', '{"a": {"b": tr', '{"a": []}'])(
    'mask after %j equals the token-by-token reference',
    (text) => {
      const scores = maskAfter(p, text);
      const expected = bruteForce(text);
      const got = Array.from(scores, (s) => s === 0);
      const diff = got.flatMap((g, id) => (g === expected[id] ? [] : [id]));
      expect(diff).toEqual([]);
      expect(got.filter(Boolean).length).toBeGreaterThan(0);
    },
  );

  it('EOS only once the object is closed, and then alone', () => {
    expect(maskAfter(p, '{"a": 1')[EOS]).toBe(-Infinity);
    const done = maskAfter(p, '{"a": 1}');
    expect(Array.from(done).flatMap((s, id) => (s === 0 ? [id] : []))).toEqual([EOS]);
  });

  it('a generated token that cannot continue JSON is a SamplingError naming it', () => {
    const scores = new Float32Array(V);
    expect(() => p.process(scores, { ids: [tokenizer.encode('[')[0]!], promptLength: 0 })).toThrow(
      /generated token \d+ \(position 0 of the output\) cannot continue valid JSON/,
    );
  });

  it('refuses bad construction options by name', () => {
    expect(() => new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [] })).toThrow(/needs at least one EOS id/);
    expect(() => new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [V] })).toThrow(/EOS id 50400 is outside/);
    expect(() => new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [EOS], maxDepth: 40 })).toThrow(/maxDepth/);
  });
});

describe('JSON output on the mini-code model (property)', () => {
  let model: Awaited<ReturnType<typeof loadModel>>;
  let tok: Tokenizer;
  beforeAll(async () => {
    [model, tok] = await Promise.all([loadModel(miniCodeDir), Tokenizer.fromDirectory(miniCodeDir)]);
  }, 60_000);
  afterAll(() => model?.dispose());

  // finish reason 'eos': the text is one JSON object; 'length': the text is a prefix of one (documented: max
  // tokens can end an unfinished value)
  it('every output that ends with EOS parses with JSON.parse; one cut at max tokens is a valid prefix', async () => {
    const json = new JsonLogitsProcessor({ tokenizer: tok, vocabSize: model.vocabSize, eosTokenIds: [model.eosTokenId!] });
    const finished: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.constantFrom('config = ', "data = json.loads('", '# JSON\n'),
        fc.integer({ min: 1, max: 24 }),
        async (seed, prompt, maxNewTokens) => {
          const r = await generateText(model, tok, prompt, { seed, maxNewTokens, temperature: 0.8, logitsProcessors: [json] });
          const { text, finishReason } = r.rows[0]!;
          const c = new JsonCursor({ root: 'object', maxDepth: 16, maxWhitespace: 32 });
          if (!utf8.encode(text).every((b) => c.step(b))) return false;
          if (finishReason === 'eos') {
            const v = JSON.parse(text) as unknown;
            finished.push(text);
            return typeof v === 'object' && v !== null && !Array.isArray(v);
          }
          // cut off: a prefix, or the whole value when its last token came exactly at maxNewTokens (EOS did not fit)
          if (c.complete) JSON.parse(text);
          return finishReason === 'length';
        },
      ),
      { numRuns: 30, seed: 20261203 },
    );
    expect(finished.length).toBeGreaterThan(0); // some runs closed their object and ended (7 of 30 with this seed)
  }, 120_000);
});
