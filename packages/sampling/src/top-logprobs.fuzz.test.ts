// Fuzzing topLogprobs: rows seeded from transformers' score rows (ties at the top, -Infinity entries) and random
// rows with many ties and float32 extremes. Invariant: the result equals a full sort of (id, logprob) pairs, most
// likely first, ties to the lower id, -Infinity entries left out, at most n entries.
import fc from 'fast-check';
import { readFixtureF32 } from '@gptj/test-fixtures';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { logSumExp } from './processors/softmax-stats.js';
import { topLogprobs } from './top-logprobs.js';

const V = 512;
const fixture = readFixtureF32('sampling-refs', 'processors', 'scores_in.f32');
const seeds = [0, 1, 2].map((b) => fixture.slice(b * V, (b + 1) * V));

const value = fc.oneof(
  fc.constantFrom(-Infinity, 0, 1, -1, 3.4e38, -3.4e38, 1e-45),
  fc.integer({ min: -3, max: 3 }), // many ties
  fc.float({ noNaN: true, noDefaultInfinity: true }),
);
const row = fc.oneof(
  fc.array(value, { minLength: 1, maxLength: 64 }).map((xs) => Float32Array.from(xs)),
  fc.tuple(fc.nat(2), fc.array(fc.tuple(fc.nat(V - 1), value), { maxLength: 16 })).map(([b, edits]) => {
    const r = seeds[b]!.slice();
    for (const [i, v] of edits) r[i] = v;
    return r;
  }),
);

function reference(raw: Float32Array, lse: number, n: number) {
  return [...raw]
    .map((v, id) => ({ id, v }))
    .filter((x) => x.v !== -Infinity)
    .sort((a, b) => b.v - a.v || a.id - b.id)
    .slice(0, n)
    .map(({ id, v }) => ({ id, logprob: v - lse }));
}

describe('topLogprobs fuzz', () => {
  it(
    'equals a full sort on any row',
    () => {
      fuzz(
        'top-logprobs',
        [row, fc.integer({ min: 1, max: 20 })],
        (raw, n) => {
          const lse = logSumExp(raw);
          const got = topLogprobs(raw, lse, n);
          const want = reference(raw, lse, n);
          return got.length === want.length && got.every((g, i) => g.id === want[i]!.id && Object.is(g.logprob, want[i]!.logprob));
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
