import { readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { EpsilonProcessor } from './processors/epsilon.js';
import { LogitBiasProcessor } from './processors/logit-bias.js';
import { MinNewTokensProcessor } from './processors/min-new-tokens.js';
import { MinPProcessor } from './processors/min-p.js';
import { NoRepeatNGramProcessor } from './processors/no-repeat-ngram.js';
import { PresenceFrequencyPenaltyProcessor } from './processors/presence-frequency.js';
import { RepetitionPenaltyProcessor } from './processors/repetition-penalty.js';
import { BadWordsProcessor, SequenceBiasProcessor } from './processors/sequence-bias.js';
import { TemperatureProcessor } from './processors/temperature.js';
import { TokenRangeMaskProcessor } from './processors/token-range-mask.js';
import { TopKProcessor } from './processors/top-k.js';
import { TopPProcessor } from './processors/top-p.js';
import { TypicalPProcessor } from './processors/typical-p.js';
import { LogitsProcessorList, type LogitsProcessor } from './processors/types.js';

interface Case {
  processor: string;
  params: Record<string, any>;
  out: string;
}
const dir = ['sampling-refs', 'processors'] as const;
const refs = readFixtureJson<{ input_ids: number[][]; shape: [number, number]; cases: Case[] }>(...dir, 'cases.json');
const scoresIn = readFixtureF32(...dir, 'scores_in.f32');
const [B, V] = refs.shape;

/** Our processor for one HF case (HF parameter names as in cases.json). */
function fromHf(c: Case): LogitsProcessor {
  const p = c.params;
  const keep = p.min_tokens_to_keep ?? 1;
  switch (c.processor) {
    case 'temperature':
      return new TemperatureProcessor(p.temperature);
    case 'top_k':
      return new TopKProcessor(p.top_k, keep);
    case 'top_p':
      return new TopPProcessor(p.top_p, keep);
    case 'typical_p':
      return new TypicalPProcessor(p.typical_p, keep);
    case 'min_p':
      return new MinPProcessor(p.min_p, keep);
    case 'epsilon':
      return new EpsilonProcessor(p.epsilon_cutoff, keep);
    case 'repetition_penalty':
      return new RepetitionPenaltyProcessor(p.repetition_penalty);
    case 'no_repeat_ngram':
      return new NoRepeatNGramProcessor(p.no_repeat_ngram_size);
    case 'bad_words':
      return new BadWordsProcessor(p.bad_words_ids, [p.eos_token_id]);
    case 'sequence_bias':
      return new SequenceBiasProcessor(p.sequence_bias);
    case 'min_new_tokens':
      return new MinNewTokensProcessor(p.min_new_tokens, [p.eos_token_id]);
    default:
      throw new Error(`no processor for ${c.processor}`);
  }
}

function row(all: Float32Array, b: number): Float32Array {
  return all.slice(b * V, (b + 1) * V);
}

describe('processors against transformers 5.17 (sampling-refs/processors)', () => {
  it('has the 20 cases over a [3, 512] score matrix', () => {
    expect(refs.cases).toHaveLength(20);
    expect(scoresIn.length).toBe(B * V);
  });

  for (const c of refs.cases) {
    it(`${c.processor} ${JSON.stringify(c.params)}`, () => {
      const expected = readFixtureF32(...dir, c.out);
      const proc = fromHf(c);
      const promptLength = c.params.prompt_length ?? refs.input_ids[0]!.length;
      for (let b = 0; b < B; b++) {
        const got = row(scoresIn, b);
        proc.process(got, { ids: refs.input_ids[b]!, promptLength });
        const want = row(expected, b);
        for (let i = 0; i < V; i++) {
          const w = want[i]!;
          if (w === -Infinity) {
            expect(got[i], `row ${b} token ${i} should be removed`).toBe(-Infinity);
          } else {
            expect(got[i], `row ${b} token ${i}`).not.toBe(-Infinity);
            expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w)));
          }
        }
      }
      // every case but top_k >= V changes the scores, so a no-op processor cannot pass
      const changes = expected.some((w, i) => !Object.is(w, scoresIn[i]));
      expect(changes).toBe(!(c.processor === 'top_k' && c.params.top_k >= V));
    });
  }
});

describe('processors without an HF reference (hand-computed)', () => {
  const ctx = { ids: [9, 4, 2, 7, 2, 2, 5], promptLength: 3 }; // prompt 9 4 2; generated 7 2 2 5

  it('presence and frequency penalties (OpenAI): count generated tokens only', () => {
    const s = new Float32Array(10).fill(1);
    new PresenceFrequencyPenaltyProcessor(0.5, 0.25).process(s, ctx);
    // 2 generated twice: 1 - (2 * 0.25 + 0.5) = 0; 7 and 5 once: 1 - (0.25 + 0.5) = 0.25; 9, 4 only in the prompt: untouched
    expect([...s]).toEqual([1, 1, 0, 1, 1, 0.25, 1, 0.25, 1, 1]);
  });

  it('negative presence / frequency penalties encourage repeats', () => {
    const s = new Float32Array(10);
    new PresenceFrequencyPenaltyProcessor(-1, -0.5).process(s, ctx);
    expect([s[2], s[5], s[0]]).toEqual([2, 1.5, 0]);
  });

  it('logit bias adds per token; -100 all but bans', () => {
    const s = Float32Array.from([0.5, 1, 2, 3]);
    new LogitBiasProcessor({ 1: 2.5, 3: -100 }).process(s);
    expect([...s]).toEqual([0.5, 3.5, 2, -97]);
    const m = Float32Array.from([0, 0]);
    new LogitBiasProcessor(new Map([[0, -1]])).process(m);
    expect([...m]).toEqual([-1, 0]);
  });

  it('token range mask bans [start, end) only', () => {
    const s = new Float32Array(8).fill(1);
    new TokenRangeMaskProcessor(5, 7).process(s);
    expect([...s]).toEqual([1, 1, 1, 1, 1, -Infinity, -Infinity, 1]);
  });

  it('a processor list applies its processors in order (bias then temperature != temperature then bias)', () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([1, 2]);
    new LogitsProcessorList([new LogitBiasProcessor({ 0: 1 }), new TemperatureProcessor(0.5)]).process(a, ctx);
    new LogitsProcessorList([new TemperatureProcessor(0.5), new LogitBiasProcessor({ 0: 1 })]).process(b, ctx);
    expect([...a]).toEqual([4, 4]);
    expect([...b]).toEqual([3, 4]);
  });

  it('repetition penalty divides positive and multiplies negative scores of seen tokens, once per token', () => {
    const s = Float32Array.from([2, -2, 2, -2, 2, 2, 2, 2, 2, 2]);
    new RepetitionPenaltyProcessor(2).process(s, { ids: [0, 1, 2, 2, 2], promptLength: 5 });
    expect([...s.slice(0, 4)]).toEqual([1, -4, 1, -2]);
  });
});

/** HF top-p written the naive way: full stable ascending sort, float64 softmax and cumulative sum. */
function naiveTopP(scores: Float32Array, topP: number, minKeep: number): Float32Array {
  const order = [...scores.keys()].sort((a, b) => scores[a]! - scores[b]! || b - a); // ascending, lower id last
  const max = Math.max(...scores);
  const z = order.reduce((s, i) => s + Math.exp(scores[i]! - max), 0);
  const out = scores.slice();
  let cum = 0;
  order.forEach((i, j) => {
    cum += Math.exp(scores[i]! - max) / z;
    if (cum <= 1 - topP && j < order.length - minKeep) out[i] = -Infinity;
  });
  return out;
}

/** HF typical-p written the naive way: full stable sort by shift, float64 throughout. */
function naiveTypical(scores: Float32Array, mass: number, minKeep: number): Float32Array {
  const max = Math.max(...scores);
  const logZ = max + Math.log(scores.reduce((s, v) => s + Math.exp(v - max), 0));
  const H = -scores.reduce((s, v) => s + (v - logZ) * Math.exp(v - logZ), 0);
  const shift = [...scores].map((v) => Math.abs(logZ - v - H));
  const order = [...scores.keys()].sort((a, b) => shift[a]! - shift[b]! || a - b);
  let cum = 0;
  let last = order.length - 1;
  for (let j = 0; j < order.length; j++) {
    cum += Math.exp(scores[order[j]!]! - logZ);
    if (!(cum < mass)) {
      last = j;
      break;
    }
  }
  const out = scores.slice();
  order.forEach((id, j) => {
    if (j >= minKeep && shift[id]! > shift[order[last]!]!) out[id] = -Infinity;
  });
  return out;
}

describe('processors on a 50400-wide row match naive full-sort references', () => {
  const V = 50400;
  const row = new Float32Array(V);
  let x = 12345;
  for (let i = 0; i < V; i++) {
    x = Math.imul(x ^ (x >>> 13), 1274126177) ^ i;
    row[i] = ((x >>> 0) / 4294967296) * 14 - 7; // spread wide enough that the nucleus holds thousands of tokens
  }

  for (const topP of [0.2, 0.9, 0.999]) {
    it(`top-p ${topP} (selection grown past its first 64 candidates)`, () => {
      const got = row.slice();
      new TopPProcessor(topP, 1).process(got);
      const want = naiveTopP(row, topP, 1);
      const kept = got.filter((v) => v !== -Infinity).length;
      expect(kept).toBeGreaterThan(64);
      expect([...got]).toEqual([...want]);
    });
  }

  for (const [typicalP, keep] of [
    [0.2, 1],
    [0.9, 1],
    [0.5, 30000],
  ] as const) {
    it(`typical-p ${typicalP}, minTokensToKeep ${keep}`, () => {
      const got = row.slice();
      new TypicalPProcessor(typicalP, keep).process(got);
      expect([...got]).toEqual([...naiveTypical(row, typicalP, keep)]);
    });
  }

  it('top-k 50 keeps exactly the 50 best', () => {
    const got = row.slice();
    new TopKProcessor(50).process(got);
    const thr = [...row].sort((a, b) => b - a)[49]!;
    expect([...got]).toEqual([...row].map((v) => (v >= thr ? v : -Infinity)));
  });

  it('min-p keeps tokens with p >= minP * p_max', () => {
    const got = row.slice();
    new MinPProcessor(0.05).process(got);
    const max = Math.max(...row);
    expect([...got]).toEqual([...row].map((v) => (Math.exp(v - max) < 0.05 ? -Infinity : v)));
  });
});
