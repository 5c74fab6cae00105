import { describe, expect, it } from 'vitest';
import { ContextLengthError, InvalidLogitsError, InvalidModelError, InvalidOptionError, InvalidPromptError, SamplingError } from './errors.js';
import type { GenerationEvent } from './events.js';
import { generate, generateText } from './generate.js';
import { historyLM, markovLM, PieceTokenizer, FakeLM } from './test-support/fakes.js';

const V = 24;
const pieces = Array.from({ length: V }, (_, i) => `<${i}>`);
const tok = new PieceTokenizer(pieces);

async function collect(it: AsyncIterable<GenerationEvent>): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('sampling reproducibility', () => {
  it('the same seed gives the same tokens, another seed other tokens', async () => {
    const lm = historyLM(V);
    const opts = { maxNewTokens: 30, seed: 1234 };
    const a = await generateText(lm, tok, [1, 2, 3], opts);
    const b = await generateText(lm, tok, [1, 2, 3], opts);
    const c = await generateText(lm, tok, [1, 2, 3], { ...opts, seed: 1235 });
    expect(a.rows[0]!.ids).toHaveLength(30);
    expect(b.rows[0]!.ids).toEqual(a.rows[0]!.ids);
    expect(c.rows[0]!.ids).not.toEqual(a.rows[0]!.ids);
  });

  it('numReturnSequences gives different samples of one prompt, each reproducible alone with its own seed', async () => {
    const lm = historyLM(V);
    const many = await generateText(lm, tok, [4, 5], { maxNewTokens: 12, numReturnSequences: 3, seed: [7, 8, 9] });
    expect(new Set(many.rows.map((r) => r.ids.join(','))).size).toBe(3);
    for (const [j, seed] of [7, 8, 9].entries()) {
      const alone = await generateText(lm, tok, [4, 5], { maxNewTokens: 12, seed });
      expect(alone.rows[0]!.ids).toEqual(many.rows[j]!.ids);
    }
  });

  it('sampling follows the distribution: a 3-token softmax, 3000 draws within 4 sigma', async () => {
    const logits = [Math.log(0.6), Math.log(0.3), Math.log(0.1)];
    const lm = new FakeLM(3, () => Float32Array.from(logits), null, 4096);
    const { rows } = await generateText(lm, new PieceTokenizer(['a', 'b', 'c']), [0], {
      maxNewTokens: 3000,
      seed: 42,
      eosTokenId: null,
      maskedTokenRange: null,
    });
    const ids = rows[0]!.ids;
    for (const [id, p] of [0.6, 0.3, 0.1].entries()) {
      const n = ids.filter((x) => x === id).length;
      expect(Math.abs(n - 3000 * p)).toBeLessThan(4 * Math.sqrt(3000 * p * (1 - p)));
    }
  });
});

describe('temperature 0 and greedy', () => {
  it('temperature 0 is greedy whatever the seed, and equals the argmax chain', async () => {
    const lm = historyLM(V);
    const greedy = await generateText(lm, tok, [3], { maxNewTokens: 10, doSample: false });
    for (const seed of [1, 2]) {
      const t0 = await generateText(lm, tok, [3], { maxNewTokens: 10, temperature: 0, seed });
      expect(t0.rows[0]!.ids).toEqual(greedy.rows[0]!.ids);
    }
    // reference: argmax of the model's logits step by step
    const h = [3];
    for (let i = 0; i < 10; i++) {
      const l = lm.logitsFor(h);
      h.push(l.indexOf(Math.max(...l)));
    }
    expect(greedy.rows[0]!.ids).toEqual(h.slice(1));
  });
});

describe('scores that overflow float32 in the processors', () => {
  // Token 5 has the best logit; the prompt's tokens 0 and 2 have positive logits, which a repetition penalty of
  // 1.4e-45 (the smallest float32) divides to +Infinity: they are certain, drawn uniformly (greedy: the lowest id).
  const logits = Float32Array.from([1, -1, 3, 0.5, -2, 4, 0, 0]);
  const lm = () => new FakeLM(8, () => logits.slice(), null);
  const t = new PieceTokenizer(Array.from({ length: 8 }, (_, i) => `<${i}>`));

  it('sampling draws among the +Infinity tokens only, each of them', async () => {
    const picked = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const r = await generateText(lm(), t, [0, 2], { maxNewTokens: 1, repetitionPenalty: 1.401298464324817e-45, seed, maskedTokenRange: null });
      picked.add(r.rows[0]!.ids[0]!);
    }
    expect([...picked].sort()).toEqual([0, 2]);
  });

  it('greedy takes the lowest id among them (torch.argmax on inf ties)', async () => {
    const r = await generateText(lm(), t, [0, 2], { maxNewTokens: 1, repetitionPenalty: 1.401298464324817e-45, doSample: false, maskedTokenRange: null });
    expect(r.rows[0]!.ids).toEqual([0]);
  });

  it('two sequence biases of 3e38 on one token add up to +Infinity: that token', async () => {
    const r = await generateText(lm(), t, [1], {
      maxNewTokens: 1,
      sequenceBias: [
        [[3], 3e38],
        [[1, 3], 3e38],
      ],
      seed: 1,
      maskedTokenRange: null,
    });
    expect(r.rows[0]!.ids).toEqual([3]);
  });
});

describe('stopping', () => {
  // a chain 0 -> 1 -> 2 -> 3 -> 4 -> 5 -> 5 ...; eos 6 never chosen unless forced
  const chain = Array.from({ length: 7 }, (_, i) => Array.from({ length: 7 }, (_, j) => (j === Math.min(i + 1, 5) ? 5 : 0)));
  const chainPieces = ['>', 'ab', 'cS', 'TO', 'Pxy', 'z', '<eos>'];
  const chainTok = new PieceTokenizer(chainPieces);

  it('a stop string split across three tokens ends the row; its text is never emitted', async () => {
    const lm = markovLM(chain, 6);
    const events = await collect(generate(lm, chainTok, [0], { maxNewTokens: 10, doSample: false, stop: 'STOP' }));
    expect(events.map((e) => (e.type === 'token' ? [e.id, e.text] : [e.type, e.finishReason, e.text]))).toEqual([
      [1, 'ab'],
      [2, 'c'], // 'S' held back: it may start 'STOP'
      [3, ''], // 'STO' held back
      [4, ''], // 'STOP' complete: nothing after 'abc' is released
      ['done', 'stop', ''],
    ]);
    const r = await generateText(lm, chainTok, [0], { maxNewTokens: 10, doSample: false, stop: ['xyz', 'STOP'] });
    expect(r.rows[0]).toMatchObject({ text: 'abc', ids: [1, 2, 3, 4], finishReason: 'stop' });
  });

  it('held-back text that does not complete a stop string is released', async () => {
    const lm = markovLM(chain, 6);
    const r = await generateText(lm, chainTok, [0], { maxNewTokens: 3, doSample: false, stop: 'STOX' });
    expect(r.rows[0]).toMatchObject({ text: 'abcSTO', finishReason: 'length' });
  });

  it('EOS ends a row (EOS not in ids or text); max new tokens ends it with "length"', async () => {
    const toEos = chain.map((row, i) => (i === 3 ? [0, 0, 0, 0, 0, 0, 9] : row));
    const r = await generateText(markovLM(toEos, 6), chainTok, [0], { maxNewTokens: 10, doSample: false });
    expect(r.rows[0]).toMatchObject({ ids: [1, 2, 3], text: 'abcSTO', finishReason: 'eos' });
    const l = await generateText(markovLM(chain, 6), chainTok, [0], { maxNewTokens: 2, doSample: false });
    expect(l.rows[0]).toMatchObject({ ids: [1, 2], finishReason: 'length' });
    expect(l.usage).toEqual({ promptTokens: 1, completionTokens: 2 });
  });

  it('minNewTokens suppresses EOS until reached', async () => {
    const eosFirst = chain.map((row) => row.map((v, j) => (j === 6 ? 9 : v)));
    const r = await generateText(markovLM(eosFirst, 6), chainTok, [0], { maxNewTokens: 10, doSample: false, minNewTokens: 3 });
    expect(r.rows[0]).toMatchObject({ ids: [1, 2, 3], finishReason: 'eos' });
  });

  it('abort mid-stream ends every row with "abort" and disposes the session (frees the KV cache)', async () => {
    const lm = historyLM(V);
    lm.delayMs = 1;
    const ac = new AbortController();
    const events: GenerationEvent[] = [];
    for await (const e of generate(lm, tok, [[1], [2, 3]], { maxNewTokens: 50, seed: 1, signal: ac.signal })) {
      events.push(e);
      if (events.length === 4) ac.abort();
    }
    const session = lm.sessions[0]!;
    expect(session.disposed).toBe(true);
    expect(session.forwards).toBe(2); // prefill + one decode step, none after the abort
    expect(events.filter((e) => e.type === 'done').map((e) => (e.type === 'done' ? e.finishReason : ''))).toEqual(['abort', 'abort']);
  });

  it('a consumer that stops iterating also disposes the session', async () => {
    const lm = historyLM(V);
    for await (const e of generate(lm, tok, [1], { maxNewTokens: 50 })) if (e.type === 'token') break;
    expect(lm.sessions[0]!.disposed).toBe(true);
  });

  it('an already-aborted signal does no work', async () => {
    const lm = historyLM(V);
    const r = await generateText(lm, tok, [[1], [2]], { signal: AbortSignal.abort() });
    expect(r.rows.map((x) => x.finishReason)).toEqual(['abort', 'abort']);
    expect(lm.sessions).toHaveLength(0);
  });
});

describe('batching', () => {
  const prompts = [[5, 6, 7], [1], [2, 3, 4, 5, 6, 7, 8], [9, 9]];

  it('left-padded batched generation equals per-prompt generation (greedy, rows finishing at different steps)', async () => {
    const lm = historyLM(V, 11);
    const opts = { maxNewTokens: 20, doSample: false, stop: '<3>' };
    const batch = await generateText(lm, tok, prompts, opts);
    expect(new Set(batch.rows.map((r) => r.ids.length)).size).toBeGreaterThan(1);
    for (const [i, p] of prompts.entries()) {
      const alone = await generateText(lm, tok, p, opts);
      expect(batch.rows[i]).toEqual(alone.rows[0]);
    }
  });

  it('batched sampling with per-row seeds equals per-prompt sampling with those seeds', async () => {
    const lm = historyLM(V, 11);
    const opts = { maxNewTokens: 15, topK: 8, topP: 0.9, repetitionPenalty: 1.2, presencePenalty: 0.5, logprobs: true };
    const batch = await generateText(lm, tok, prompts, { ...opts, seed: [10, 20, 30, 40] });
    for (const [i, p] of prompts.entries()) {
      const alone = await generateText(lm, tok, p, { ...opts, seed: 10 * (i + 1) });
      expect(batch.rows[i]).toEqual(alone.rows[0]);
    }
  });

  it('text prompts are encoded with the tokenizer', async () => {
    const lm = historyLM(V);
    const a = await generateText(lm, tok, ['<5><6>', '<1>'], { maxNewTokens: 4, doSample: false });
    const b = await generateText(lm, tok, [[5, 6], [1]], { maxNewTokens: 4, doSample: false });
    expect(a.rows).toEqual(b.rows);
  });
});

describe('events, usage, timing, logprobs', () => {
  it('logprob is the log-softmax of the raw logits, before any processor', async () => {
    const lm = historyLM(V);
    const r = await generateText(lm, tok, [1, 2], { maxNewTokens: 5, temperature: 0.5, topK: 3, seed: 3, logprobs: true });
    const h = [1, 2];
    r.rows[0]!.ids.forEach((id, i) => {
      const l = lm.logitsFor(h);
      const lse = Math.log(l.reduce((s, x) => s + Math.exp(x), 0));
      expect(r.rows[0]!.logprobs![i]).toBeCloseTo(l[id]! - lse, 5);
      h.push(id);
    });
    expect(r.usage).toEqual({ promptTokens: 2, completionTokens: 5 });
    expect(r.timing.prefillMs).toBeGreaterThanOrEqual(0);
    expect(r.timing.decodeTokPerS).toBeGreaterThan(0);
  });

  it("masks GPT-J's unused ids 50257..50399 by default on a 50400 vocabulary; null turns it off", async () => {
    const lm = new FakeLM(
      50400,
      () => {
        const l = new Float32Array(50400);
        l[50300] = 10; // an untrained id that would win
        l[42] = 5;
        return l;
      },
      50256,
    );
    const tok50k = { encode: () => [1], decode: () => '', createStreamDecoder: () => ({ write: () => 'x', end: () => '' }) };
    const on = await generateText(lm, tok50k, [1], { maxNewTokens: 2, doSample: false });
    expect(on.rows[0]!.ids).toEqual([42, 42]);
    const off = await generateText(lm, tok50k, [1], { maxNewTokens: 2, doSample: false, maskedTokenRange: null });
    expect(off.rows[0]!.ids).toEqual([50300, 50300]);
  });
});

describe('validation before any work', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['temperature', { temperature: -0.5 }],
    ['topP', { topP: 0 }],
    ['topP', { topP: 1.5 }],
    ['temperature', { temperature: NaN }],
    ['topK', { topK: 2.5 }],
    ['maxNewTokens', { maxNewTokens: 0 }],
    ['repetitionPenalty', { repetitionPenalty: 0 }],
    ['topPp', { topPp: 0.9 }],
    ['logitBias', { logitBias: { 99999: 5 } }],
    ['seed', { seed: [1, 2] }],
    ['topK', { numBeams: 2, topK: 5 }],
    ['stop', { numBeams: 2, stop: 'x' }],
    ['numReturnSequences', { numBeams: 2, numReturnSequences: 3 }],
    ['numReturnSequences', { doSample: false, numReturnSequences: 2 }],
    ['maskedTokenRange', { maskedTokenRange: [5, 2] }],
    // float options that are not 0 but round to 0 in float32, or round to Infinity
    ['temperature', { temperature: 1e-46 }],
    ['temperature', { temperature: 3.5e38 }],
    ['topP', { topP: 1e-50 }],
    ['typicalP', { typicalP: 1e-46 }],
    ['minP', { minP: 1e-46 }],
    ['epsilonCutoff', { epsilonCutoff: 1e-46 }],
    ['repetitionPenalty', { repetitionPenalty: 1e-46 }],
    ['repetitionPenalty', { repetitionPenalty: 1e39 }],
    ['presencePenalty', { presencePenalty: -1e-46 }],
    ['frequencyPenalty', { frequencyPenalty: 1e-46 }],
    ['logitBias.3', { logitBias: { 3: 1e-60 } }],
    ['sequenceBias.0.1', { sequenceBias: [[[1, 2], 1e39]] }],
    ['lengthPenalty', { numBeams: 2, lengthPenalty: -1e39 }],
  ];
  for (const [option, opts] of bad) {
    it(`rejects ${JSON.stringify(opts, (_, v) => (Number.isNaN(v) ? 'NaN' : v))} naming "${option}"`, () => {
      const lm = historyLM(V);
      let err: unknown;
      try {
        generate(lm, tok, [1], opts as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe(option);
      expect((err as Error).message).toContain(`"${option}"`);
      expect(lm.sessions).toHaveLength(0);
    });
  }

  it('names the float32 problem and the value', () => {
    const lm = historyLM(V);
    expect(() => generate(lm, tok, [1], { temperature: 1e-46 })).toThrow(
      'invalid option "temperature": underflows to 0 in float32: use 0, or a magnitude of at least 1.4e-45, got 1e-46',
    );
    expect(() => generate(lm, tok, [1], { temperature: 3.5e38 })).toThrow(
      /"temperature": overflows float32: the largest magnitude is 3.4028235e\+38, got 3.5e\+38/,
    );
    // a subnormal float32 temperature is valid (and samples the argmax: see temperature.test.ts)
    expect(() => generate(lm, tok, [1], { temperature: 1e-40 })).not.toThrow();
  });

  it("an EOS id from the model's config outside its vocabulary is the model's error, not an option error", () => {
    const lm = new FakeLM(4, () => new Float32Array(4), 99999999);
    const t = new PieceTokenizer(['a', 'b', 'c', 'd']);
    expect(() => generate(lm, t, [0], {})).toThrow(InvalidModelError);
    expect(() => generate(lm, t, [0], {})).toThrow("the model's EOS token id 99999999 is outside its vocabulary [0, 4)");
    expect(() => generate(lm, t, [0], { eosTokenId: 3 })).not.toThrow(); // an explicit option replaces it
    expect(() => generate(lm, t, [0], { eosTokenId: 9 })).toThrow(InvalidOptionError);
    expect(lm.sessions).toHaveLength(0);
  });

  it('context: prompt + maxNewTokens beyond maxLength is a ContextLengthError, thrown at the call', () => {
    const lm = markovLM(
      Array.from({ length: 4 }, () => [1, 0, 0, 0]),
      null,
      16,
    );
    expect(() => generate(lm, new PieceTokenizer(['a', 'b', 'c', 'd']), [[1, 2, 3], Array(10).fill(1)], { maxNewTokens: 7 })).toThrow(ContextLengthError);
    expect(() => generate(lm, new PieceTokenizer(['a', 'b', 'c', 'd']), Array(10).fill(1), { maxNewTokens: 6 })).not.toThrow();
    expect(lm.sessions).toHaveLength(0);
  });

  it('NaN logits from the model are an InvalidLogitsError (and the session is still disposed)', async () => {
    const lm = new FakeLM(4, (h) => Float32Array.from(h.length > 2 ? [0, NaN, 1, 0] : [0, 0, 1, 0]));
    const t = new PieceTokenizer(['a', 'b', 'c', 'd']);
    for (const opts of [{ doSample: false }, { seed: 1 }, { numBeams: 2 }]) {
      await expect(generateText(lm, t, [0, 1], { maxNewTokens: 5, ...opts })).rejects.toThrow(InvalidLogitsError);
    }
    expect(lm.sessions.every((s) => s.disposed)).toBe(true);
  });

  it('a session returning too few logits is a SamplingError naming the counts, at the prefill and at a decode step', async () => {
    for (const badForward of [1, 2])
      for (const opts of [{ doSample: false }, { seed: 1 }, { numBeams: 2 }]) {
        const lm = historyLM(V);
        const session = lm.createSession.bind(lm);
        lm.createSession = (batchSize) => {
          const s = session(batchSize);
          const forward = s.forward.bind(s);
          s.forward = async (ids, mask) => {
            const logits = await forward(ids, mask);
            return s.forwards === badForward ? logits.subarray(1) : logits;
          };
          return s;
        };
        const B = opts.numBeams ?? 1;
        const run = generateText(lm, tok, [1, 2], { maxNewTokens: 3, ...opts });
        await expect(run).rejects.toThrow(SamplingError);
        await expect(run).rejects.toThrow(`session.forward returned ${B * V - 1} logits, expected batch ${B} x vocabSize ${V}`);
        expect(lm.sessions.every((s) => s.disposed)).toBe(true);
      }
  });

  it('bad prompts are InvalidPromptError', () => {
    const lm = historyLM(V);
    expect(() => generate(lm, tok, [], {})).toThrow(InvalidPromptError);
    expect(() => generate(lm, tok, [[1], []], {})).toThrow(/prompt 1 is empty/);
    expect(() => generate(lm, tok, [1, 99], {})).toThrow(/99/);
  });
});
