import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../events.js';
import { generateText, type GeneratedRow } from '../generate.js';
import type { GenerateOptions } from '../options.js';
import { historyLM, PieceTokenizer } from '../test-support/fakes.js';
import { Scheduler } from './scheduler.js';

// Random workloads against generate as the reference: requests of random prompts and options arrive at random
// steps, some abort through their signal or leave the loop after a random number of events. Every request that ran
// to the end equals generate; an interrupted one holds a prefix of generate's rows; nothing is left held afterwards.

const V = 12;
const tok = new PieceTokenizer(['a', 'b', 'c', 'd', 'e', ' ', '.', 'x', 'y', 'z', '\n', '!']);

const request = fc.record({
  prompt: fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: 1, maxLength: 14 }),
  maxNewTokens: fc.integer({ min: 1, max: 16 }),
  sample: fc.option(fc.record({ seed: fc.nat(), topK: fc.integer({ min: 0, max: 6 }), n: fc.integer({ min: 1, max: 3 }) })),
  stop: fc.option(fc.constantFrom('a', 'b.', 'zz', '\n')),
  eos: fc.option(fc.integer({ min: 0, max: V - 1 })),
  logprobs: fc.boolean(),
  arriveAfter: fc.integer({ min: 0, max: 6 }),
  interrupt: fc.option(fc.record({ how: fc.constantFrom('abort', 'break'), afterEvents: fc.integer({ min: 1, max: 10 }) })),
});

type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

function optionsOf(r: Req): GenerateOptions {
  const o: GenerateOptions = { maxNewTokens: r.maxNewTokens, eosTokenId: r.eos, logprobs: r.logprobs };
  if (r.stop !== null) o.stop = r.stop;
  if (r.sample) Object.assign(o, { seed: r.sample.seed, topK: r.sample.topK, numReturnSequences: r.sample.n });
  else o.doSample = false;
  return o;
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function consume(s: Scheduler, r: Req): Promise<{ rows: GeneratedRow[]; interrupted: boolean }> {
  for (let i = 0; i < r.arriveAfter; i++) await turn();
  const ctl = new AbortController();
  const req = s.submit(r.prompt, { ...optionsOf(r), signal: ctl.signal });
  const rows: GeneratedRow[] = [];
  let seen = 0;
  const add = (e: GenerationEvent) => {
    // a row the consumer left before its done event counts as aborted
    const row = (rows[e.row] ??= { ids: [], text: '', finishReason: 'abort' });
    row.text += e.text;
    if (e.type === 'token') {
      row.ids.push(e.id);
      if (e.logprob !== undefined) (row.logprobs ??= []).push(e.logprob);
    } else row.finishReason = e.finishReason;
  };
  for await (const e of req) {
    add(e);
    if (r.interrupt && ++seen === r.interrupt.afterEvents) {
      if (r.interrupt.how === 'break') break;
      ctl.abort();
    }
  }
  await req.result;
  return { rows, interrupted: r.interrupt !== null && seen >= r.interrupt.afterEvents };
}

describe('Scheduler on random workloads', () => {
  it('every request equals generate, or a prefix of it when interrupted; all slots and KV freed at the end', async () => {
    const lm = historyLM(V);
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 8 }),
        async (reqs, maxSequences, prefillChunk) => {
          const s = new Scheduler(lm, tok, { maxSequences, prefillChunk, maxQueue: 100 });
          const fits = reqs.filter((r) => (r.sample?.n ?? 1) <= maxSequences);
          const got = await Promise.all(fits.map((r) => consume(s, r)));
          await s.close();
          for (const [i, r] of fits.entries()) {
            const ref = (await generateText(lm, tok, r.prompt, optionsOf(r))).rows.map(({ score: _, ...row }) => row);
            const { rows, interrupted } = got[i]!;
            if (!interrupted) {
              expect(rows).toEqual(ref);
              continue;
            }
            rows.forEach((row, j) => {
              if (row.finishReason !== 'abort') return expect(row).toEqual(ref[j]);
              expect(ref[j]!.ids.slice(0, row.ids.length)).toEqual(row.ids);
            });
          }
          expect(s.stats).toMatchObject({ active: 0, queued: 0, sequences: 0 });
          expect(lm.sessions.every((x) => x.disposed)).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261203 },
    );
  }, 60_000);
});
