// microBatches: every index exactly once, no batch over its limits (a lone over-long sequence excepted),
// each batch sorted longest first.
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { microBatches } from './micro-batches.js';
import { at } from '../at.js';

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
            const rows = b.map((i) => at(lengths, i));
            const longest = Math.max(...rows);
            const sorted = rows.every((n, k) => k === 0 || at(rows, k - 1) >= n);
            return b.length >= 1 && sorted && b.length <= maxBatch && (b.length === 1 || b.length * longest <= tokenBudget);
          });
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
