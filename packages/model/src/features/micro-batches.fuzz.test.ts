// microBatches: every index exactly once, no batch over its limits (a lone over-long sequence excepted),
// each batch sorted longest first.
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { microBatches } from './micro-batches.js';

describe('microBatches', () => {
  it(
    'partitions the inputs within the token budget and row limit',
    () => {
      fuzz(
        'micro-batches',
        [fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 200 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 64 })],
        (lengths, tokenBudget, maxBatch) => {
          const batches = microBatches(lengths, { tokenBudget, maxBatch });
          const seen = batches.flat().sort((a, b) => a - b);
          if (seen.length !== lengths.length || seen.some((v, i) => v !== i)) return false;
          return batches.every((b) => {
            const longest = Math.max(...b.map((i) => lengths[i]));
            const sorted = b.every((i, k) => k === 0 || lengths[b[k - 1]] >= lengths[i]);
            return b.length >= 1 && sorted && b.length <= maxBatch && (b.length === 1 || b.length * longest <= tokenBudget);
          });
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
