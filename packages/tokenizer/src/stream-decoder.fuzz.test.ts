import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { Tokenizer, UnknownTokenIdError } from './index.js';

const tok = Tokenizer.gptj();

/** Which typed error `run` throws, as [class, position], or null if it returns. Other errors propagate. */
function failure(run: () => unknown): [string, number] | null {
  try {
    run();
    return null;
  } catch (e) {
    if (e instanceof UnknownTokenIdError) return ['UnknownTokenIdError', e.position];
    throw e;
  }
}

const ids = fc.oneof(
  fc.array(fc.integer({ min: 0, max: tok.vocabSize - 1 }), { maxLength: 48 }), // any token
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 48 }), // single bytes: characters cut anywhere
  fc.string({ unit: 'binary', maxLength: 24 }).map((s) => tok.encode(s)), // real token sequences
  fc.array(
    fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: tok.vocabSize - 1 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, tok.vocabSize, 1.5, NaN, Infinity, 2 ** 32, '7', null, undefined) },
    ),
    { maxLength: 24 },
  ),
);

describe('fuzz: streaming decoder', () => {
  it(
    'ids written one at a time give decode() of all of them; bad ids fail alike at the same position',
    () => {
      const stream = tok.createStreamDecoder(); // reused across inputs: end() resets it
      fuzz(
        'tokenizer-stream-decode',
        [ids],
        (list) => {
          const all = list as number[];
          let whole = '';
          const atOnce = failure(() => (whole = tok.decode(all)));
          let streamed = '';
          const oneByOne = failure(() => {
            for (const id of all) streamed += stream.write(id);
          });
          streamed += stream.end();
          if (JSON.stringify(atOnce) !== JSON.stringify(oneByOne)) throw new Error(`decode failed with ${atOnce}, the stream with ${oneByOne}`);
          if (atOnce === null && streamed !== whole) throw new Error(`streamed ${JSON.stringify(streamed)}, decode ${JSON.stringify(whole)}`);
          return true;
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
