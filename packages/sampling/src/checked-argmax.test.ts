import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bannedRangeOnly, checkedArgmax, greedyPick } from './checked-argmax.js';
import { checkLogits, InvalidLogitsError, SamplingError } from './errors.js';
import { LogitsProcessorList } from './processors/types.js';
import { TokenRangeMaskProcessor } from './processors/token-range-mask.js';
import { TemperatureProcessor } from './processors/temperature.js';
import { GreedySampler } from './samplers.js';

/** The path the fast one replaces: check, ban the range, then GreedySampler.select; its id or its error. */
function slowPath(scores: Float32Array, row: number, start: number, end: number): number | string {
  try {
    checkLogits(scores, row);
    const s = scores.slice();
    new TokenRangeMaskProcessor(start, end).process(s);
    return new GreedySampler().select(s);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

function fastPath(scores: Float32Array, row: number, start: number, end: number): number | string {
  try {
    return checkedArgmax(scores, row, [start, end]);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

// few distinct values, so ties and specials are common
const logit = fc.constantFrom(-Infinity, Infinity, Number.NaN, -1, 0, 0.5, 2, 3.5, 1e30, -1e30);

describe('checkedArgmax', () => {
  it('agrees with checkLogits + the banned-range mask + GreedySampler.select (ids, ties, NaN, +-Infinity, empty)', () => {
    fc.assert(
      fc.property(fc.array(logit, { minLength: 1, maxLength: 40 }), fc.nat(45), fc.nat(45), fc.nat(7), (values, a, b, row) => {
        const scores = Float32Array.from(values);
        const [start, end] = a <= b ? [a, b] : [b, a];
        expect(fastPath(scores, row, start, end)).toEqual(slowPath(scores, row, start, end));
      }),
      { numRuns: 5000, seed: 14 },
    );
  });

  it('reports the first bad logit, inside the banned range too, as InvalidLogitsError', () => {
    const s = Float32Array.from([0, 1, Number.NaN, Infinity, 5]);
    expect(() => checkedArgmax(s, 3, [2, 4])).toThrow(new InvalidLogitsError(3, 2, Number.NaN));
    s[2] = 0;
    expect(() => checkedArgmax(s, 3, [0, 0])).toThrow(new InvalidLogitsError(3, 3, Infinity));
  });

  it('takes the lowest id of the highest allowed score; all banned is a SamplingError', () => {
    expect(checkedArgmax(Float32Array.from([1, 7, 7, 9, 2]), 0, [3, 4])).toBe(1);
    expect(() => checkedArgmax(Float32Array.from([1, 2]), 0, [0, 2])).toThrow(SamplingError);
  });
});

/** A pool's scan of a raw row (SequencePool.step's best): lowest id of the highest logit (NaN skipped), first NaN/+Infinity. */
function scan(scores: Float32Array): [number, number] {
  let m = -Infinity;
  for (const v of scores) m = v > m ? v : m;
  const argmax = Math.max(0, scores.indexOf(m));
  return [argmax, scores.findIndex((v) => !(v < Infinity))];
}

describe('greedyPick', () => {
  it("with a pool's scan of the row agrees with check + mask + select, and without one (-1) with checkedArgmax", () => {
    fc.assert(
      fc.property(fc.array(logit, { minLength: 1, maxLength: 40 }), fc.nat(45), fc.nat(45), fc.nat(7), (values, a, b, row) => {
        const scores = Float32Array.from(values);
        const [start, end] = a <= b ? [a, b] : [b, a];
        const [argmax, firstBad] = scan(scores);
        const pick = (x: number, y: number) => {
          try {
            return greedyPick(scores, row, [start, end], x, y);
          } catch (e) {
            return `${(e as Error).name}: ${(e as Error).message}`;
          }
        };
        expect(pick(argmax, firstBad)).toEqual(slowPath(scores, row, start, end));
        expect(pick(-1, -1)).toEqual(fastPath(scores, row, start, end));
      }),
      { numRuns: 5000, seed: 15 },
    );
  });
});

describe('bannedRangeOnly', () => {
  it('is the mask range for no processor or a lone TokenRangeMaskProcessor, null for anything else', () => {
    expect(bannedRangeOnly(new LogitsProcessorList())).toEqual([0, 0]);
    expect(bannedRangeOnly(new LogitsProcessorList([new TokenRangeMaskProcessor(50257, 50400)]))).toEqual([50257, 50400]);
    expect(bannedRangeOnly(new LogitsProcessorList([new TemperatureProcessor(2)]))).toBeNull();
    const two = new LogitsProcessorList([new TokenRangeMaskProcessor(1, 2), new TokenRangeMaskProcessor(3, 4)]);
    expect(bannedRangeOnly(two)).toBeNull();
  });
});
