import { describe, expect, it, vi } from 'vitest';
import { InvalidLogitsError, InvalidOptionError, InvalidPromptError } from '../errors.js';
import type { GenerationEvent } from '../events.js';
import { generate, generateText, type GeneratedRow } from '../generate.js';
import type { CausalLM, SequencePool } from '../interfaces.js';
import type { GenerateOptions } from '../options.js';
import { FakeLM, historyLM, PieceTokenizer } from '../test-support/fakes.js';
import { QueueFullError, SchedulerClosedError, SchedulerStepError, SequencePoolError } from './errors.js';
import type { ScheduledRequest } from './request.js';
import type { StepStats } from './scheduler-options.js';
import { Scheduler } from './scheduler.js';
import { SessionSequencePool } from './session-pool.js';

const V = 32;
const pieces = Array.from({ length: V }, (_, i) => (i < 26 ? String.fromCharCode(97 + i) : ' .,\n!?'[i - 26]!));
const tok = new PieceTokenizer(pieces);

/** A request's rows as generateText reports them, and its result. */
async function collect(req: ScheduledRequest) {
  const rows: GeneratedRow[] = [];
  const events: GenerationEvent[] = [];
  for await (const e of req) {
    events.push(e);
    const row = (rows[e.row] ??= { ids: [], text: '', finishReason: 'length' });
    row.text += e.text;
    if (e.type === 'token') {
      row.ids.push(e.id);
      if (e.logprob !== undefined) (row.logprobs ??= []).push(e.logprob);
    } else row.finishReason = e.finishReason;
  }
  return { rows, events, result: await req.result };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Requests of every kind: lengths, seeds, processors, stop strings, siblings, logprobs, EOS. */
const cases: { prompt: string | number[]; options: GenerateOptions }[] = [
  { prompt: 'hello world', options: { maxNewTokens: 20, seed: 1 } },
  { prompt: [3], options: { maxNewTokens: 9, doSample: false } },
  { prompt: 'the quick brown fox jumps over the lazy dog', options: { maxNewTokens: 15, temperature: 0.7, topK: 5, seed: 2 } },
  { prompt: 'abc', options: { maxNewTokens: 30, topP: 0.8, seed: 3, stop: ['a', 'e.'] } },
  { prompt: 'sibling', options: { maxNewTokens: 12, numReturnSequences: 3, seed: 4, logprobs: true } },
  { prompt: 'x', options: { maxNewTokens: 25, repetitionPenalty: 1.3, presencePenalty: 0.5, seed: [5, 6], numReturnSequences: 2 } },
  { prompt: 'eos please', options: { maxNewTokens: 40, seed: 7, eosTokenId: 4 } },
  { prompt: 'a longer prompt, chunked over several steps.', options: { maxNewTokens: 8, doSample: false, topLogprobs: 3 } },
  { prompt: 'criteria', options: { maxNewTokens: 30, seed: 8, stoppingCriteria: [(ids) => ids.at(-1) === 30] } },
];

describe('Scheduler against generate (fake model)', () => {
  it('many concurrent requests, joining mid-run and queueing for slots: every row equals generate', async () => {
    const lm = historyLM(V);
    const steps: number[] = [];
    const s = new Scheduler(lm, tok, { maxSequences: 4, prefillChunk: 5, onStep: (x) => steps.push(x.sequences) });
    const first = cases.slice(0, 5).map((c) => collect(s.submit(c.prompt, c.options)));
    await tick(5);
    const later = cases.slice(5).map((c) => collect(s.submit(c.prompt, c.options)));
    const got = await Promise.all([...first, ...later]);
    for (const [i, c] of cases.entries()) {
      const ref = await generateText(lm, tok, c.prompt, c.options);
      expect(got[i]!.rows, `case ${i}`).toEqual(ref.rows.map(({ score: _, ...row }) => row));
      // the very same events, in the same order (topLogprobs included)
      const refEvents: GenerationEvent[] = [];
      for await (const e of generate(lm, tok, c.prompt, c.options)) refEvents.push(e);
      expect(got[i]!.events, `case ${i}`).toEqual(refEvents);
      expect(got[i]!.result.usage).toEqual(ref.usage);
      expect(got[i]!.result.seed).toEqual(ref.seed);
    }
    expect(Math.max(...steps)).toBe(4); // steps really were shared
    expect(s.stats).toEqual({ active: 0, queued: 0, freeTokens: 4 * lm.maxLength, sequences: 0 });
  });

  it('chunked prefill: a long prompt enters prefillChunk tokens per step while the running request keeps decoding', async () => {
    const lm = historyLM(V);
    lm.delayMs = 1;
    const steps: StepStats[] = [];
    const s = new Scheduler(lm, tok, { maxSequences: 2, prefillChunk: 4, onStep: (x) => steps.push(x) });
    const running = s.submit('ab', { maxNewTokens: 12, seed: 1 });
    const events = running[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: 'token' }); // it decodes now
    const long = s.submit('a long prompt of many', { maxNewTokens: 3, seed: 2 }); // 21 tokens: 6 chunks
    while (!(await events.next()).done);
    const [r1, r2] = await Promise.all([running.result, long.result]);
    expect(steps.every((x) => x.prefillTokens <= 4)).toBe(true);
    expect(steps.reduce((n, x) => n + x.prefillTokens, 0)).toBe(2 + 21);
    const mixed = steps.filter((x) => x.prefillTokens > 0 && x.decodeTokens > 0);
    expect(mixed.length).toBeGreaterThanOrEqual(4);
    // every generated token but each row's last was fed back
    expect(steps.reduce((n, x) => n + x.decodeTokens, 0)).toBe(r1.usage.completionTokens - 1 + r2.usage.completionTokens - 1);
  });

  it('an unseeded request draws a seed and reports it: generate with that seed reproduces it', async () => {
    const lm = historyLM(V);
    const s = new Scheduler(lm, tok);
    const { rows, result } = await collect(s.submit('seed', { maxNewTokens: 10 }));
    expect(typeof result.seed).toBe('number');
    const ref = await generateText(lm, tok, 'seed', { maxNewTokens: 10, seed: result.seed as number });
    expect(rows).toEqual(ref.rows);
    expect(result.queuedMs).toBeGreaterThanOrEqual(0);
    expect(result.timeToFirstTokenMs).toBeGreaterThanOrEqual(result.queuedMs);
  });

  it('validates at submit with the errors of generate, and refuses beams and oversized requests by name', () => {
    const s = new Scheduler(historyLM(V), tok, { maxSequences: 2 });
    expect(() => s.submit('a', { topP: 2 })).toThrow(InvalidOptionError);
    expect(() => s.submit([], {})).toThrow(InvalidPromptError);
    expect(() => s.submit(['a', 'b'] as unknown as string)).toThrow(/one prompt/);
    expect(() => s.submit('a', { numBeams: 2 })).toThrow(expect.objectContaining({ option: 'numBeams' }));
    expect(() => s.submit('a', { numReturnSequences: 3, seed: 1 })).toThrow(expect.objectContaining({ option: 'numReturnSequences' }));
    expect(() => new Scheduler(historyLM(V), tok, { maxSequences: 0 })).toThrow(expect.objectContaining({ option: 'maxSequences' }));
    expect(() => new Scheduler(historyLM(V), tok, { prefill: 3 } as never)).toThrow(expect.objectContaining({ option: 'prefill' }));
    const small = new Scheduler(historyLM(V), tok, { maxSequences: 1, maxTokens: 16 });
    expect(() => small.submit('abc', { maxNewTokens: 14 })).toThrow(expect.objectContaining({ option: 'maxNewTokens' }));
    expect(() => small.submit('abc', { maxNewTokens: 13 })).not.toThrow();
  });
});

describe('Scheduler slots, queue, aborts', () => {
  it('admits only what the KV budget holds at worst case, so no running request runs out of cache', async () => {
    const lm = historyLM(V);
    const widths: number[] = [];
    const s = new Scheduler(lm, tok, { maxSequences: 4, maxTokens: 64, onStep: (x) => widths.push(x.sequences) });
    // each needs 20 positions, 32 in whole blocks: two at a time in 64 although 4 slots are free
    const reqs = [1, 2, 3, 4, 5].map((seed) => s.submit('kv', { maxNewTokens: 18, seed }));
    expect(s.stats.queued).toBe(5);
    for (const [i, r] of reqs.entries()) {
      const ref = await generateText(lm, tok, 'kv', { maxNewTokens: 18, seed: i + 1 });
      expect((await collect(r)).rows).toEqual(ref.rows);
    }
    expect(Math.max(...widths)).toBe(2);
    expect(s.stats.freeTokens).toBe(64);
  });

  it("reserves in the pool's own block size (SequencePool.blockSize), not a fixed 16", async () => {
    const lm = historyLM(V);
    const model: CausalLM = {
      vocabSize: V,
      maxLength: lm.maxLength,
      eosTokenId: null,
      createSession: (b) => lm.createSession(b),
      createSequencePool: (o) => new SessionSequencePool(lm, { ...o, blockSize: 32 }),
    };
    const widths: number[] = [];
    const s = new Scheduler(model, tok, { maxSequences: 4, maxTokens: 64, onStep: (x) => widths.push(x.sequences) });
    // each needs 12 positions: one block of 32, so two at a time in 64 (counted in blocks of 16, four would start)
    const reqs = [1, 2, 3, 4].map((seed) => s.submit('kv', { maxNewTokens: 10, seed }));
    for (const [i, r] of reqs.entries()) {
      const ref = await generateText(lm, tok, 'kv', { maxNewTokens: 10, seed: i + 1 });
      expect((await collect(r)).rows).toEqual(ref.rows);
    }
    expect(Math.max(...widths)).toBe(2);
    expect(s.stats.freeTokens).toBe(64);
    // a pool that reports no usable block size is refused (and disposed) when the scheduler is made
    for (const blockSize of [0, 1.5, Number.NaN]) {
      const dispose = vi.fn();
      const odd: CausalLM = { ...model, createSequencePool: () => ({ blockSize, dispose }) as unknown as SequencePool };
      expect(() => new Scheduler(odd, tok)).toThrow(
        new SequencePoolError(`the model's sequence pool reports blockSize ${blockSize}; it must be a positive integer`),
      );
      expect(dispose).toHaveBeenCalledOnce();
    }
  });

  it('a full queue throws QueueFullError; the queued requests still finish', async () => {
    const lm = historyLM(V);
    lm.delayMs = 2;
    const s = new Scheduler(lm, tok, { maxSequences: 1, maxQueue: 1 });
    const a = s.submit('a', { maxNewTokens: 5, seed: 1 });
    const b = s.submit('b', { maxNewTokens: 5, seed: 1 });
    expect(() => s.submit('c', { maxNewTokens: 5 })).toThrow(QueueFullError);
    expect(s.stats.queued).toBe(2); // a is admitted at the next step
    await Promise.all([a.result, b.result]);
    expect(() => s.submit('c', { maxNewTokens: 5 })).not.toThrow();
    // maxQueue 0: only what a free slot takes at once
    const none = new Scheduler(lm, tok, { maxSequences: 1, maxQueue: 0 });
    const only = none.submit('a', { maxNewTokens: 3, seed: 1 });
    expect(() => none.submit('b', { maxNewTokens: 3 })).toThrow(QueueFullError);
    await only.result;
    await expect(none.submit('b', { maxNewTokens: 3, seed: 1 }).result).resolves.toBeTruthy();
  });

  it('an abort signal ends the request with reason abort within one step and frees its slot for the queue', async () => {
    const lm = historyLM(V);
    lm.delayMs = 3;
    const s = new Scheduler(lm, tok, { maxSequences: 2 });
    const ctl = new AbortController();
    const long = s.submit('long', { maxNewTokens: 500, seed: 1, signal: ctl.signal, numReturnSequences: 2 });
    const waiting = s.submit('next', { maxNewTokens: 3, seed: 2 });
    expect(s.stats).toMatchObject({ queued: 2 });
    const events = [];
    for await (const e of long) {
      events.push(e);
      if (events.length === 6) {
        ctl.abort();
        expect(s.stats.sequences).toBe(2);
      }
    }
    const done = events.filter((e) => e.type === 'done');
    expect(done.map((e) => e.finishReason)).toEqual(['abort', 'abort']);
    expect(events.length).toBeLessThanOrEqual(6 + 2 + 2); // at most one more step of tokens
    expect(s.stats.sequences).toBeLessThanOrEqual(1);
    expect((await waiting.result).usage.completionTokens).toBe(3);
    expect((await long.result).usage.completionTokens).toBeLessThan(10);
  });

  it("the consumer's break frees the slot at the next step; result still resolves", async () => {
    const lm = historyLM(V);
    lm.delayMs = 3;
    const s = new Scheduler(lm, tok, { maxSequences: 1 });
    const req = s.submit('break', { maxNewTokens: 500, seed: 1 });
    let n = 0;
    for await (const e of req) if (e.type === 'token' && ++n === 3) break;
    const r = await req.result;
    expect(r.usage.completionTokens).toBeLessThanOrEqual(4);
    expect(s.stats).toMatchObject({ active: 0, sequences: 0 });
    expect(lm.sessions.every((x) => x.disposed)).toBe(true);
  });

  it('close() stops admitting, drains every admitted and queued request, then frees the pool', async () => {
    const lm = historyLM(V);
    const s = new Scheduler(lm, tok, { maxSequences: 2 });
    const reqs = [1, 2, 3, 4, 5].map((seed) => s.submit('drain', { maxNewTokens: 6, seed }));
    const closed = s.close();
    expect(() => s.submit('late')).toThrow(SchedulerClosedError);
    await closed;
    for (const r of reqs) expect((await r.result).usage.completionTokens).toBe(6);
    expect(lm.sessions.length).toBe(5);
    expect(lm.sessions.every((x) => x.disposed)).toBe(true);
    const pool = (s as unknown as { pool: { dispose(): void } }).pool;
    const dispose = vi.spyOn(pool, 'dispose');
    await s.close(); // idempotent: the pool is freed once
    expect(dispose).not.toHaveBeenCalled();
  });
});

describe('Scheduler logits buffer', () => {
  it('passes every step one reused out buffer (grown to the widest step), and the texts equal generate', async () => {
    const lm: FakeLM & Pick<CausalLM, 'createSequencePool'> = historyLM(V);
    const outs: (Float32Array | undefined)[] = [];
    lm.createSequencePool = (o) => {
      const pool = new SessionSequencePool(lm, o);
      const step = pool.step.bind(pool);
      pool.step = (entries, out) => (outs.push(out), step(entries, out));
      return pool;
    };
    const s = new Scheduler(lm, tok, { maxSequences: 4 });
    const got = await Promise.all(cases.slice(0, 4).map((c) => collect(s.submit(c.prompt, c.options))));
    for (const [i, c] of cases.slice(0, 4).entries()) expect(got[i]!.rows).toEqual((await generateText(historyLM(V), tok, c.prompt, c.options)).rows);
    const buffers = new Set(outs.map((o) => o?.buffer));
    expect(outs.length).toBeGreaterThan(10);
    expect(buffers.has(undefined)).toBe(false);
    expect(buffers.size).toBeLessThanOrEqual(3); // 1, 2, then 4 rows: grown at most twice, never per step
  });
});

/** The native pool's scan of one row into best[2i], best[2i + 1]: lowest id of the highest logit, first NaN/+Infinity id. */
function scanRow(scores: Float32Array, best: Int32Array, i: number): void {
  const row = Array.from(scores);
  best[2 * i] = Math.max(0, row.indexOf(Math.max(...row.filter((v) => !Number.isNaN(v)))));
  best[2 * i + 1] = row.findIndex((v) => !(v < Infinity));
}

describe('Scheduler with a pool that scans its rows (SequencePool.step best)', () => {
  /** SessionSequencePool plus the native pool's scan: lowest id of the highest logit, first NaN/+Infinity id. */
  function scanningLM(lm: FakeLM): FakeLM & Pick<CausalLM, 'createSequencePool'> {
    const scanning: FakeLM & Pick<CausalLM, 'createSequencePool'> = lm;
    scanning.createSequencePool = (o) => {
      const pool: SequencePool = new SessionSequencePool(lm, o);
      const step = pool.step.bind(pool);
      pool.step = async (entries, out, best) => {
        const logits = await step(entries, out);
        entries.forEach((_, i) => scanRow(logits.subarray(i * V, (i + 1) * V), best!, i));
        return logits;
      };
      return pool;
    };
    return scanning;
  }

  it('every kind of request (greedy, sampled, processors, stops, siblings, logprobs) gives the texts of generate', async () => {
    const s = new Scheduler(scanningLM(historyLM(V)), tok, { maxSequences: 8 });
    const got = await Promise.all(cases.map((c) => collect(s.submit(c.prompt, c.options))));
    for (const [i, c] of cases.entries()) expect(got[i]!.rows).toEqual((await generateText(historyLM(V), tok, c.prompt, c.options)).rows);
  });

  it("a NaN or +Infinity the scan found is generate's InvalidLogitsError, greedy or sampled", async () => {
    for (const bad of [Number.NaN, Infinity]) {
      const logits = () => Float32Array.from({ length: V }, (_, i) => (i === 7 ? bad : i === 3 ? 1 : 0));
      for (const options of [{ doSample: false }, { seed: 1, temperature: 0.7 }]) {
        const want = await generateText(new FakeLM(V, logits), tok, 'a', options).catch((e: Error) => e.message);
        const got = new Scheduler(scanningLM(new FakeLM(V, logits)), tok).submit('a', options).result;
        await expect(got).rejects.toThrow(InvalidLogitsError);
        await expect(got).rejects.toThrow(want as string);
      }
    }
  });
});

describe("Scheduler with a pool that leaves rows out (CpuGPTJPool's skipLogits)", () => {
  type SkipEntry = { id: number; ids: readonly number[]; skipLogits?: { unlessBestIn: readonly [number, number] } };
  /**
   * SessionSequencePool plus the scan, honouring skipLogits as CpuGPTJPool does: a row whose scan can pick alone is
   * left out of out (NaN here, the worst a stale buffer could hold) but for its highest logit; `left` counts them.
   */
  function skippingLM(lm: FakeLM) {
    const seen = { left: 0, asked: 0 };
    const skipping: FakeLM & Pick<CausalLM, 'createSequencePool'> = lm;
    skipping.createSequencePool = (o) => {
      const pool: SequencePool = new SessionSequencePool(lm, o);
      const step = pool.step.bind(pool);
      pool.step = async (entries: readonly SkipEntry[], out, best) => {
        const logits = await step(entries, out);
        entries.forEach((e, i) => {
          const scores = logits.subarray(i * V, (i + 1) * V);
          scanRow(scores, best!, i);
          const [arg, bad] = [best![2 * i]!, best![2 * i + 1]!];
          const range = e.skipLogits?.unlessBestIn;
          if (!range) return void seen.asked++;
          if (bad >= 0 || !(scores[arg]! > -Infinity) || (arg >= range[0] && arg < range[1])) return; // written after all
          const keep = scores[arg]!;
          scores.fill(Number.NaN)[arg] = keep;
          seen.left++;
        });
        return logits;
      };
      return pool;
    };
    return { lm: skipping, seen };
  }

  it('greedy rows are left out, the others not, and every kind of request gives the texts of generate', async () => {
    const { lm, seen } = skippingLM(historyLM(V));
    const s = new Scheduler(lm, tok, { maxSequences: 8 });
    // the greedy cases again with banned ranges that its winners fall in now and then (then the row is written)
    const all = [
      ...cases,
      ...[
        [0, 8],
        [8, 20],
        [31, 32],
      ].map(([a, b]) => ({ prompt: 'banned', options: { maxNewTokens: 20, doSample: false, maskedTokenRange: [a!, b!] as [number, number] } })),
    ];
    const got = await Promise.all(all.map((c) => collect(s.submit(c.prompt, c.options))));
    for (const [i, c] of all.entries()) expect(got[i]!.rows).toEqual((await generateText(historyLM(V), tok, c.prompt, c.options)).rows);
    expect(seen.left).toBeGreaterThan(20);
    expect(seen.asked).toBeGreaterThan(20); // sampled, logprobs, processors, prefill chunks
  });

  it("a left-out row's NaN/+Infinity or all -Infinity is written after all: generate's own error", async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const logits = () => Float32Array.from({ length: V }, (_, i) => (bad === -Infinity || i === 7 ? bad : i === 3 ? 1 : 0));
      const want = await generateText(new FakeLM(V, logits), tok, 'a', { doSample: false }).catch((e: Error) => e.message);
      const { lm, seen } = skippingLM(new FakeLM(V, logits));
      await expect(new Scheduler(lm, tok).submit('a', { doSample: false }).result).rejects.toThrow(want as string);
      expect(seen.left).toBe(0);
    }
  });
});

describe('Scheduler failures', () => {
  it("a failing step fails only that step's requests with SchedulerStepError; the scheduler keeps serving", async () => {
    const POISON = 25; // 'z'
    const base = historyLM(V);
    const lm = new FakeLM(V, (h) => {
      if (h.at(-1) === POISON) throw new Error('device lost');
      return base.logitsFor(h);
    });
    const s = new Scheduler(lm, tok, { maxSequences: 2 });
    const ok1 = s.submit('fine', { maxNewTokens: 4, seed: 1 });
    const bad = s.submit('zz', { maxNewTokens: 4, seed: 1 });
    const queued = s.submit('queued', { maxNewTokens: 4, seed: 2 });
    const [r1, r2, r3] = await Promise.allSettled([collect(ok1), collect(bad), collect(queued)]);
    // ok1 and bad shared the failing step; queued was not in it
    expect(r1.status === 'rejected' && r1.reason).toBeInstanceOf(SchedulerStepError);
    expect(r2.status === 'rejected' && r2.reason).toBeInstanceOf(SchedulerStepError);
    expect(r2.status === 'rejected' && (r2.reason as Error).message).toMatch(/device lost/);
    expect(r3.status).toBe('fulfilled');
    const ref = await generateText(base, tok, 'queued', { maxNewTokens: 4, seed: 2 });
    expect(r3.status === 'fulfilled' && r3.value.rows).toEqual(ref.rows);
    await expect(collect(s.submit('again', { maxNewTokens: 2, seed: 3 }))).resolves.toBeTruthy();
    expect(s.stats).toMatchObject({ active: 0, sequences: 0 });
  });

  it("a request's own error (its logits processor throws, bad logits) fails it alone", async () => {
    const lm = historyLM(V);
    const s = new Scheduler(lm, tok, { maxSequences: 3 });
    const boom = s.submit('boom', {
      maxNewTokens: 5,
      logitsProcessors: [
        () => {
          throw new RangeError('my processor');
        },
      ],
    });
    const fine = s.submit('fine', { maxNewTokens: 5, seed: 1 });
    await expect(boom.result).rejects.toThrow('my processor');
    await expect(collect(boom)).rejects.toThrow('my processor');
    expect((await fine.result).usage.completionTokens).toBe(5);
    const bad = new FakeLM(V, () => new Float32Array(V).fill(NaN));
    await expect(new Scheduler(bad, tok).submit('a').result).rejects.toBeInstanceOf(InvalidLogitsError);
  });
});
