// Fuzzing the JSON constraint: token sequences of GPT-J's vocabulary (drawn from the ones JSON texts encode to,
// mutated: tokens swapped, dropped, repeated, random ids) through JsonLogitsProcessor. Invariant: after a history
// the processor accepted, its mask allows exactly the tokens whose bytes keep the text a JSON prefix (checked token
// by token with JsonCursor on a sample), EOS only when JSON.parse accepts the text; a history holding a token the
// mask would have refused is a SamplingError, never another exception.
import fc from 'fast-check';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { Tokenizer } from '@gptj/tokenizer';
import { describe, it } from 'vitest';
import { SamplingError } from '../errors.js';
import { JsonCursor } from './json-grammar.js';
import { JsonLogitsProcessor } from './json-processor.js';

const tokenizer = Tokenizer.gptj();
const V = 50400;
const EOS = 50256;
const options = { root: 'object', maxDepth: 4, maxWhitespace: 3 } as const;
const processor = new JsonLogitsProcessor({ tokenizer, vocabSize: V, eosTokenIds: [EOS], ...options });
const utf8 = new TextEncoder();
const scores = new Float32Array(V);

const jsonIds = fc
  .tuple(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), fc.constantFrom(undefined, 1, '\t'))
  .map(([v, indent]) => tokenizer.encode(JSON.stringify(v, null, indent)));
const history = fc
  .tuple(jsonIds, fc.array(fc.tuple(fc.nat(), fc.constantFrom('swap', 'drop', 'repeat', 'random', 'cut')), { maxLength: 3 }), fc.nat(V - 1))
  .map(([ids, edits, randomId]) => {
    const out = [...ids];
    for (const [at, op] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (op === 'swap' && i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      else if (op === 'drop') out.splice(i, 1);
      else if (op === 'repeat') out.splice(i, 0, out[i] ?? randomId);
      else if (op === 'random') out[i] = randomId;
      else out.length = i;
    }
    return out;
  });

describe('JSON constraint fuzz', () => {
  it(
    'json-processor: masks agree with the automaton token by token; bad histories are SamplingErrors',
    () => {
      fuzz(
        'json-processor',
        [history, fc.array(fc.nat(V - 1), { minLength: 8, maxLength: 8 })],
        (ids, sample) => {
          scores.fill(0);
          try {
            processor.process(scores, { ids: [1, ...ids], promptLength: 1 });
          } catch (err) {
            if (err instanceof SamplingError) return true;
            throw err;
          }
          const text = tokenizer.decode(ids);
          const after = new JsonCursor(options);
          if (!utf8.encode(text).every((b) => after.step(b))) return false; // accepted a history that is not a JSON prefix
          let parses = true;
          try {
            JSON.parse(text);
          } catch {
            parses = false;
          }
          if ((scores[EOS] === 0) !== (after.complete && parses)) return false;
          const special = new Set(tokenizer.specialTokens.values());
          for (const id of sample) {
            if (special.has(id)) continue;
            const c = new JsonCursor(options);
            c.copyFrom(after);
            const fits = utf8.encode(tokenizer.decode([id])).every((b) => c.step(b));
            if (fits !== (scores[id] === 0)) return false;
          }
          return true;
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
