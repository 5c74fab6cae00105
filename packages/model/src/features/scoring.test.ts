// Loglikelihoods, multiple choice and rolling perplexity on the small fixture, against values computed here from
// transformers' logits (reference.json: float64 log-softmax in the test) or, where no stored logits cover the
// windows, from the model's full [T, V] logits (GPTJModel.forward, the layer kit, not the scoring path).
import { fixturePath, readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GPTJModel,
  loadModel,
  loglikelihood,
  multipleChoiceAccuracy,
  perplexityOf,
  perplexityPlan,
  rollingPerplexity,
  scoreMultipleChoice,
} from '../index.js';
import { perplexityWindows } from './perplexity.js';
import { at } from '../at.js';
import { withHoles } from '../test-support/sparse.js';

interface Case {
  name: string;
  input_ids?: number[][];
  logits?: { file: string; shape: number[] };
  prompt_ids?: number[];
  new_ids?: number[];
}
const reference = readFixtureJson<{ cases: Case[] }>('gptj-small-f32', 'reference.json');
const byName = (name: string) => reference.cases.find((c) => c.name === name)!;
const V = 512;

/** log softmax(row)[target] in float64, the plain way (no max shift: the fixture's logits are small). */
function logSoftmax64(row: Float32Array, target: number): number {
  let sum = 0;
  for (const x of row) sum += Math.exp(x);
  return at(row, target) - Math.log(sum);
}
function argmax(row: Float32Array): number {
  return row.indexOf(Math.max(...row));
}

let model: GPTJModel;
beforeAll(async () => {
  model = await loadModel(fixturePath('gptj-small-f32'));
});
afterAll(() => model.dispose());

describe('loglikelihood vs transformers logits', () => {
  const seq = byName('seq-40');
  const ids = at(seq.input_ids!, 0);
  const logits = readFixtureF32('gptj-small-f32', seq.logits!.file); // [1, 40, V]
  const batch3 = byName('batch3-seq17');
  const logits3 = readFixtureF32('gptj-small-f32', batch3.logits!.file); // [3, 17, V]
  const expected = (rowLogits: Float32Array, all: number[], split: number) => {
    const tokens = all.slice(split).map((target, j) => logSoftmax64(rowLogits.subarray((split - 1 + j) * V, (split + j) * V), target));
    const greedy = all.slice(split).every((target, j) => argmax(rowLogits.subarray((split - 1 + j) * V, (split + j) * V)) === target);
    return { tokens, greedy };
  };

  it('sums, per-token logprobs and is_greedy of mixed-length requests in padded micro-batches, within 1e-4', async () => {
    const requests = [
      { rows: ids, logits, split: 1 },
      { rows: ids, logits, split: 25 },
      { rows: ids, logits, split: 39 },
      ...batch3.input_ids!.map((row, r) => ({ rows: row, logits: logits3.subarray(r * 17 * V, (r + 1) * 17 * V), split: 3 + 4 * r })),
    ];
    const got = await loglikelihood(
      model,
      requests.map((r) => ({ context: r.rows.slice(0, r.split), continuation: r.rows.slice(r.split) })),
      { tokenBudget: 50, batchSize: 2 },
    );
    expect(got.length).toBe(requests.length);
    requests.forEach((r, i) => {
      const want = expected(r.logits, r.rows, r.split);
      const result = at(got, i);
      expect(result.tokenLogprobs.length).toBe(want.tokens.length);
      result.tokenLogprobs.forEach((lp, j) => expect(Math.abs(lp - at(want.tokens, j))).toBeLessThan(1e-4));
      expect(Math.abs(result.logprob - want.tokens.reduce((a, b) => a + b, 0))).toBeLessThan(1e-4 * want.tokens.length);
      expect(result.isGreedy).toBe(want.greedy);
    });
  });

  it('topLogprobs: the k most likely tokens of each scored position, as the reference ranks them, within 1e-4', async () => {
    const got = at(await loglikelihood(model, [{ context: ids.slice(0, 30), continuation: ids.slice(30) }], { topLogprobs: 5 }), 0);
    got.topLogprobs!.forEach((top, j) => {
      const row = logits.subarray((29 + j) * V, (30 + j) * V);
      const want = Array.from(row, (_, t) => logSoftmax64(row, t))
        .sort((a, b) => b - a)
        .slice(0, 5);
      expect(top.length).toBe(5);
      top.forEach((t, r) => {
        expect(Math.abs(t.logprob - at(want, r))).toBeLessThan(1e-4); // rank r holds the r-th best value
        expect(Math.abs(t.logprob - logSoftmax64(row, t.token))).toBeLessThan(1e-4);
      });
    });
    expect(at(await loglikelihood(model, [{ context: [1], continuation: [2] }]), 0).topLogprobs).toBeUndefined();
    await expect(loglikelihood(model, [{ context: [1], continuation: [2] }], { topLogprobs: 1.5 })).rejects.toThrow(
      /topLogprobs must be an integer in \[0, 512\]/,
    );
  });

  it("a model's own greedy continuation is greedy; one changed token is not", async () => {
    const g = byName('greedy-a');
    const results = await loglikelihood(model, [
      { context: g.prompt_ids!, continuation: g.new_ids! },
      { context: g.prompt_ids!, continuation: [...g.new_ids!.slice(0, 5), (at(g.new_ids!, 5) + 1) % V] },
    ]);
    expect(results.map((r) => r.isGreedy)).toEqual([true, false]); // its own continuation, the changed one
  });

  it('past the context, keeps the last maxLength tokens of context + continuation minus its last (the harness truncation)', async () => {
    const long = at(byName('seq-500-last32').input_ids!, 0);
    const context = [...long, ...long.slice(0, 20)]; // 520 + 3 = 523 tokens in all
    const continuation = [5, 6, 7];
    const got = at(await loglikelihood(model, [{ context, continuation }]), 0);
    const input = [...context, ...continuation].slice(-(512 + 1), -1);
    const full = (await model.forward([input])).toFloat32Array();
    continuation.forEach((target, j) => {
      const p = input.length - continuation.length + j;
      expect(Math.abs(at(got.tokenLogprobs, j) - logSoftmax64(full.subarray(p * V, (p + 1) * V), target))).toBeLessThan(1e-4);
    });
  });

  it.each([
    [[{ context: [], continuation: [1] }], /request 0 has an empty context/],
    [[{ context: [1], continuation: [] }], /request 0 has an empty continuation/],
    [
      [
        { context: [1], continuation: [2] },
        { context: [1], continuation: [-1] },
      ],
      /request 1: token id -1 is outside \[0, 512\)/,
    ],
    [[{ context: [1], continuation: new Array(513).fill(1) }], /513 tokens, more than the context of 512/],
    [[null], /request 0 must be \{ context: number\[\], continuation: number\[\] \}/],
    [withHoles(2, { 1: { context: [1], continuation: [2] } }), /request 0 must be \{ context: number\[\], continuation: number\[\] \}/],
  ])('rejects %j', async (requests, message) => {
    await expect(loglikelihood(model, requests as never)).rejects.toThrow(message);
  });
});

describe('rolling perplexity', () => {
  const seq = byName('seq-40');
  const ids = at(seq.input_ids!, 0);
  const logits = readFixtureF32('gptj-small-f32', seq.logits!.file);

  it('one window over the whole text: exp(mean -log p(t_i | t_<i)) from transformers logits', async () => {
    let nll = 0;
    for (let i = 1; i < ids.length; i++) nll -= logSoftmax64(logits.subarray((i - 1) * V, i * V), at(ids, i));
    const got = await rollingPerplexity(model, ids, { maxLength: 64 });
    expect(got.tokens).toBe(39);
    expect(got.windows).toBe(1);
    expect(Math.abs(got.nll - nll)).toBeLessThan(1e-3);
    expect(got.perplexity / Math.exp(nll / 39)).toBeCloseTo(1, 5);
  });

  it.each([
    [16, 8, 39],
    [16, 16, 39 - 2],
    [10, 3, 39],
  ])('maxLength %i, stride %i: each window scores its new tokens given its own context (%i tokens)', async (maxLength, stride, count) => {
    // The guide's loop, written out: window [begin, begin + maxLength), targets after the previous window's end.
    let nll = 0;
    let tokens = 0;
    let prevEnd = 0;
    for (let begin = 0; prevEnd < ids.length; begin += stride) {
      const end = Math.min(begin + maxLength, ids.length);
      const window = ids.slice(begin, end);
      const l = (await model.forward([window])).toFloat32Array();
      for (let i = Math.max(prevEnd, begin + 1); i < end; i++, tokens++) nll -= logSoftmax64(l.subarray((i - begin - 1) * V, (i - begin) * V), at(ids, i));
      prevEnd = end;
    }
    const got = await rollingPerplexity(model, ids, { maxLength, stride, tokenBudget: 32 });
    expect(got.tokens).toBe(tokens);
    expect(got.tokens).toBe(count);
    expect(Math.abs(got.nll - nll)).toBeLessThan(1e-3);
  });

  it('leaves out windows with nothing new; rejects bad sizes', async () => {
    expect(perplexityWindows(9, 8, 8)).toEqual([{ begin: 0, start: 1, end: 8 }]);
    await expect(rollingPerplexity(model, [1])).rejects.toThrow(/at least 2 tokens, got 1/);
    await expect(rollingPerplexity(model, ids, { maxLength: 600 })).rejects.toThrow(/maxLength must be an integer in \[2, 512\]/);
    await expect(rollingPerplexity(model, ids, { maxLength: 8, stride: 9 })).rejects.toThrow(/stride must be an integer in \[1, 8\]/);
  });

  it('perplexityOf: a partial list of scores counts its windows; more scores than windows is a RangeError, not a wrong perplexity', () => {
    const plan = perplexityPlan(model, ids, { maxLength: 16, stride: 8 });
    const windows = plan.requests.length;
    const scores = (n: number) => new Array(n).fill({ logprob: -2 });
    const partial = perplexityOf(plan, scores(2));
    expect(partial.tokens).toBe(at(plan.requests, 0).continuation.length + at(plan.requests, 1).continuation.length);
    expect(partial.perplexity).toBeCloseTo(Math.exp(4 / partial.tokens), 12);
    expect(() => perplexityOf(plan, scores(windows + 1))).toThrow(new RangeError(`perplexityOf: ${windows + 1} scores for a plan of ${windows} windows`));
  });
});

describe('multiple choice', () => {
  // A toy tokenizer (one id per character) keeps the expected values independent of @gptj/tokenizer.
  const encode = (s: string) => [...s].map((c) => c.charCodeAt(0) % V);
  const items = [
    { context: 'The cat', choices: ['sat', 'ran away quickly', 'é'] },
    { context: '', choices: ['ab', 'abc'] },
    { context: 'x = ', choices: ['1', '22', '333'] },
  ];

  it('acc, acc_norm (per character) and per-token picks follow the loglikelihoods computed from full logits', async () => {
    const results = await scoreMultipleChoice(model, items, { encode, eosTokenId: 0 });
    for (const [i, item] of items.entries()) {
      const lls: number[] = [];
      for (const choice of item.choices) {
        // The harness's split: trailing spaces of the context move to the continuation; target delimiter ' '.
        const trimmed = item.context.trimEnd();
        const context = trimmed === '' ? [0] : encode(trimmed);
        const continuation = encode(item.context.slice(trimmed.length) + ' ' + choice);
        const all = [...context, ...continuation];
        const l = (await model.forward([all.slice(0, -1)])).toFloat32Array();
        lls.push(continuation.reduce((a, target, j) => a + logSoftmax64(l.subarray((context.length - 1 + j) * V, (context.length + j) * V), target), 0));
      }
      const r = at(results, i);
      r.loglikelihoods.forEach((ll, c) => expect(Math.abs(ll - at(lls, c))).toBeLessThan(1e-3));
      const tokens = item.choices.map((c) => c.length + 1 + item.context.length - item.context.trimEnd().length);
      expect(r.tokenCounts).toEqual(tokens);
      const pick = (score: (ll: number, c: number) => number) => lls.map(score).reduce((best, s, c, all) => (s > at(all, best) ? c : best), 0);
      expect(r.pred).toBe(pick((ll) => ll));
      expect(r.predNorm).toBe(pick((ll, c) => ll / at(item.choices, c).length));
      expect(r.predNormTokens).toBe(pick((ll, c) => ll / at(tokens, c)));
    }
    const labels = results.map((r) => r.pred);
    expect(multipleChoiceAccuracy(results, labels).acc).toBe(1);
  });

  it('rejects malformed items', async () => {
    await expect(scoreMultipleChoice(model, [{ context: 'a', choices: ['b'] }], { encode })).rejects.toThrow(/item 0 must be .* at least 2 choices/);
    await expect(scoreMultipleChoice(model, [{ context: 'a', choices: ['b', ''] }], { encode })).rejects.toThrow(/item 0: choice 1 must be a non-empty string/);
    await expect(scoreMultipleChoice(model, [{ context: 'a', choices: ['b', 'c'.repeat(600)] }], { encode })).rejects.toThrow(
      /item 0: choice 1 has 601 tokens, more than the context of 512/,
    );
    expect(() => multipleChoiceAccuracy([], [])).toThrow(/at least one/);
    // Holes in a sparse list are refused like any other non-item (they were skipped, or crashed with a TypeError).
    const item = { context: 'a', choices: ['b', 'c'] };
    await expect(scoreMultipleChoice(model, withHoles(2, { 1: item }), { encode })).rejects.toThrow(/item 0 must be .* at least 2 choices/);
    await expect(scoreMultipleChoice(model, [{ context: 'a', choices: withHoles(3, { 0: 'b', 2: 'c' }) }, item], { encode })).rejects.toThrow(
      new RangeError('scoreMultipleChoice: item 0: choice 1 must be a non-empty string'),
    );
  });
});
