import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import { generate, generateText } from './generate.js';
import type { LogitsProcessor } from './processors/types.js';
import { historyLM, PieceTokenizer } from './test-support/fakes.js';

const V = 24;
const tok = new PieceTokenizer(Array.from({ length: V }, (_, i) => `<${i}>`));

describe('the seed of an unseeded call', () => {
  it('is drawn at random, reported in the result, and reproduces the sample when passed back', async () => {
    const lm = historyLM(V);
    const a = await generateText(lm, tok, [1, 2, 3], { maxNewTokens: 30 });
    const b = await generateText(lm, tok, [1, 2, 3], { maxNewTokens: 30 });
    expect(typeof a.seed).toBe('number');
    expect(a.seed).not.toEqual(b.seed); // 2^-32 chance of a false failure
    expect(a.rows[0]!.ids).not.toEqual(b.rows[0]!.ids);
    const again = await generateText(lm, tok, [1, 2, 3], { maxNewTokens: 30, seed: a.seed as number });
    expect(again.rows[0]!.ids).toEqual(a.rows[0]!.ids);
    expect(again.seed).toBe(a.seed);
  });

  it("is the iterator's return value for sampling and absent for greedy and beams", async () => {
    const lm = historyLM(V);
    const it = generate(lm, tok, [1], { maxNewTokens: 2, seed: [5, 6], numReturnSequences: 2 });
    let next = await it.next();
    while (!next.done) next = await it.next();
    expect(next.value.seed).toEqual([5, 6]);
    expect((await generateText(lm, tok, [1], { maxNewTokens: 2, temperature: 0 })).seed).toBeUndefined();
    expect((await generateText(lm, tok, [1], { maxNewTokens: 2, numBeams: 2 })).seed).toBeUndefined();
  });
});

describe('logitsProcessors', () => {
  it('a function sees the row history and the scores after the built-in processors, before temperature', async () => {
    const seen: { ids: number[]; s7: number; finite: boolean }[] = [];
    const spy = (ids: readonly number[], scores: Float32Array) => {
      seen.push({ ids: [...ids], s7: scores[7]!, finite: scores.every(Number.isFinite) });
    };
    const lm = historyLM(V);
    const plain = lm.logitsFor([1, 2]);
    await generateText(lm, tok, [1, 2], { maxNewTokens: 1, seed: 1, logitBias: { 7: 50 }, temperature: 0.5, topK: 2, logitsProcessors: [spy] });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ids).toEqual([1, 2]);
    // the bias (a built-in processor) is applied; temperature 0.5 and top-k (warpers) are not yet
    expect(seen[0]!.s7).toBeCloseTo(plain[7]! + 50, 4);
    expect(seen[0]!.finite).toBe(true);
  });

  it('decides the tokens in sampling, greedy and beam search, in the order given', async () => {
    const only = (id: number) => (_: readonly number[], scores: Float32Array) => {
      scores.fill(-Infinity);
      scores[id] = 0;
    };
    const obj: LogitsProcessor = { process: (scores) => only(9)([], scores) };
    const lm = historyLM(V);
    for (const mode of [{ seed: 3 }, { temperature: 0 }, { numBeams: 2 }]) {
      const r = await generateText(lm, tok, [1], { maxNewTokens: 4, ...mode, logitsProcessors: [only(5)] });
      expect(r.rows[0]!.ids).toEqual([5, 5, 5, 5]);
      const last = await generateText(lm, tok, [1], { maxNewTokens: 3, ...mode, logitsProcessors: [only(5), obj] });
      expect(last.rows[0]!.ids).toEqual([9, 9, 9]);
    }
  });

  it('anything but a function or a processor object is an InvalidOptionError naming the option', () => {
    expect(() => generate(historyLM(V), tok, [1], { logitsProcessors: [42 as never] })).toThrow(InvalidOptionError);
    expect(() => generate(historyLM(V), tok, [1], { logitsProcessors: [42 as never] })).toThrow(/logitsProcessors\.0/);
  });
});

describe('stoppingCriteria', () => {
  it('the first criterion that holds ends the row with reason stop, after the token it saw, text included', async () => {
    const lm = historyLM(V);
    const free = await generateText(lm, tok, [1], { maxNewTokens: 10, seed: 4 });
    const calls: number[][] = [];
    const afterThree = (ids: readonly number[]) => (calls.push([...ids]), ids.length - 1 >= 3);
    const r = await generateText(lm, tok, [1], { maxNewTokens: 10, seed: 4, stoppingCriteria: [afterThree] });
    expect(r.rows[0]).toMatchObject({
      ids: free.rows[0]!.ids.slice(0, 3),
      finishReason: 'stop',
      text: free.rows[0]!.ids.slice(0, 3)
        .map((i) => `<${i}>`)
        .join(''),
    });
    expect(calls).toEqual([1, 2, 3].map((n) => [1, ...free.rows[0]!.ids.slice(0, n)]));
  });

  it('is refused with beam search and when not a function', () => {
    expect(() => generate(historyLM(V), tok, [1], { numBeams: 2, stoppingCriteria: [() => true] })).toThrow(/stoppingCriteria/);
    expect(() => generate(historyLM(V), tok, [1], { stoppingCriteria: ['x' as never] })).toThrow(InvalidOptionError);
  });
});
