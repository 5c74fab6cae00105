// Cost of JSON-constrained decoding over GPT-J's 50400 logits: `npx vitest bench src/processors/json-processor.bench.ts`.
// A step whose automaton state was seen before (cached mask) against one that builds its mask (a miss), in the
// states that cost most (inside a string: nearly every token fits) and least (after a value, where few do).
import { Tokenizer } from '@gptj/tokenizer';
import { bench, describe } from 'vitest';
import { JsonCursor } from './json-grammar.js';
import { JsonLogitsProcessor } from './json-processor.js';
import { JsonTokenTable } from './json-token-table.js';

const tokenizer = Tokenizer.gptj();
const V = 50400;
const processor = new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [50256] });
const table = new JsonTokenTable(tokenizer, V);
const utf8 = new TextEncoder();
const scores = new Float32Array(V);

/** A cursor after `text`, with a whitespace bound never used before: its mask is not in the table's cache. */
let fresh = 1000;
function uncached(text: string): JsonCursor {
  const c = new JsonCursor({ root: 'object', maxDepth: 16, maxWhitespace: fresh++ });
  for (const b of utf8.encode(text)) c.step(b);
  return c;
}

describe('JSON mask, one step over 50400 logits', () => {
  for (const text of ['{"name', '{"a": [1, 2', '{"a": {"b": tr', '{"a": 1, ']) {
    const ids = [1, ...tokenizer.encode(text)];
    bench(`cached, after ${JSON.stringify(text)}`, () => {
      processor.process(scores, { ids, promptLength: 1 });
    });
    bench(`miss (mask built), after ${JSON.stringify(text)}`, () => {
      table.maskFor(uncached(text));
    });
  }
  bench(
    'token table (once per tokenizer)',
    () => {
      new JsonTokenTable(tokenizer, V);
    },
    { iterations: 3 },
  );
});
