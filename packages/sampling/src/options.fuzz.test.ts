// Fuzzing generate's option validation and the pipeline it builds: random option objects (every option, float edge
// values around float32's limits, wrong types, unknown keys). Invariant: parseGenerateOptions accepts them or throws
// InvalidOptionError; for accepted options, the processors and warpers applied to transformers' score rows (ties,
// -inf entries) and a row of 50400 logits leave no NaN or +Infinity among the candidates, and the sampler picks a
// candidate with a finite score or throws SamplingError (every token removed). Synchronous, no model.
import fc from 'fast-check';
import { readFixtureF32, readFixtureJson } from '@gptj/test-fixtures';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { InvalidOptionError, SamplingError } from './errors.js';
import { parseGenerateOptions } from './options.js';
import { buildPipeline } from './pipeline.js';
import { GreedySampler, MultinomialSampler } from './samplers.js';

const V = 512;
const fixture = readFixtureF32('sampling-refs', 'processors', 'scores_in.f32');
const histories = readFixtureJson<{ input_ids: number[][] }>('sampling-refs', 'processors', 'cases.json').input_ids;
const rows = [0, 1, 2].map((b) => fixture.slice(b * V, (b + 1) * V));

const edge = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  2,
  -2,
  0.5,
  1e-45,
  -1e-45,
  1e-46,
  1e-300,
  1e-40,
  1e-38,
  1e-30,
  1e30,
  3.4e38,
  3.5e38,
  -3.5e38,
  1e308,
  100,
  -100,
  NaN,
  Infinity,
  -Infinity,
  2 ** 32,
  0.999999,
  1.0000001,
);
const num = fc.oneof(edge, fc.double(), fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround));
const anything = fc.oneof(num, fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.array(fc.nat(600), { maxLength: 3 }));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 10, arbitrary: a }, { weight: 1, arbitrary: anything });
/** Mostly a value inside the option's range (its float32 extremes included), sometimes any number. */
const inRange = (min: number, max: number, extremes: number[]) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...extremes) },
    {
      weight: 4,
      arbitrary: fc
        .double({ min, max, noNaN: true })
        .map(Math.fround)
        .filter((x) => x >= min && x <= max),
    },
    { weight: 1, arbitrary: num },
  );
const id = fc.oneof({ weight: 9, arbitrary: fc.nat(V - 1) }, { weight: 1, arbitrary: fc.constantFrom(V, -1, 1.5) });

const options = fc.record(
  {
    maxNewTokens: maybe(fc.integer({ min: 0, max: 8 })),
    minNewTokens: maybe(fc.integer({ min: 0, max: 3 })),
    doSample: maybe(fc.boolean()),
    temperature: maybe(inRange(0, 3, [0, 1e-45, 1e-40, 1e-38, 1e-30, 0.7, 2, 1e30, 3e38, 3.4028234663852886e38])),
    topK: maybe(fc.oneof(fc.integer({ min: 0, max: 600 }), edge)),
    topP: maybe(inRange(1e-45, 1, [1e-45, 1e-30, 0.5, 0.9, 1])),
    typicalP: maybe(inRange(1e-45, 1, [1e-45, 1e-30, 0.5, 0.9, 1])),
    minP: maybe(inRange(0, 1, [0, 1e-45, 0.1, 0.999, 1])),
    epsilonCutoff: maybe(inRange(0, 0.999, [0, 1e-45, 1e-4, 0.5, 0.999])),
    minTokensToKeep: maybe(fc.integer({ min: 0, max: 600 })),
    repetitionPenalty: maybe(inRange(1e-45, 3, [1e-45, 1e-38, 1e-30, 0.5, 1.3, 1e30, 3e38])),
    presencePenalty: maybe(inRange(-2, 2, [-2, 2, 1e-45, -1e-45])),
    frequencyPenalty: maybe(inRange(-2, 2, [-2, 2, 1e-45, -1e-45])),
    noRepeatNgramSize: maybe(fc.integer({ min: 0, max: 4 })),
    logitBias: maybe(
      fc.dictionary(
        fc.oneof({ weight: 9, arbitrary: id.map(String) }, { weight: 1, arbitrary: fc.string({ maxLength: 3 }) }),
        inRange(-100, 100, [-100, 100, 1e-45]),
        { maxKeys: 4 },
      ),
    ),
    badWordsIds: maybe(fc.array(fc.array(id, { minLength: 1, maxLength: 3 }), { maxLength: 3 })),
    sequenceBias: maybe(
      fc.array(fc.tuple(fc.array(id, { minLength: 1, maxLength: 3 }), inRange(-100, 100, [-3.4e38, 3.4e38, 1e30, -1e-45])), { maxLength: 3 }),
    ),
    maskedTokenRange: maybe(fc.oneof(fc.tuple(fc.nat(V), fc.nat(V)), fc.constant(null))),
    eosTokenId: maybe(fc.oneof(id, fc.array(id, { maxLength: 2 }), fc.constant(null))),
    seed: maybe(fc.oneof(fc.nat(), edge)),
  },
  { requiredKeys: [] },
);
const optionsOrUnknown = fc
  .tuple(options, fc.option(fc.dictionary(fc.string({ maxLength: 6 }), anything, { minKeys: 1, maxKeys: 1 }), { freq: 10 }))
  .map(([o, extra]) => ({ ...o, ...extra }));

const candidateProblem = (scores: Float32Array): string | null => {
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i]) || scores[i] === Infinity) return `candidate score ${scores[i]} at ${i}`;
  return null;
};

describe('fuzz: generate options and the pipeline they build', () => {
  it(
    'InvalidOptionError or a pipeline that yields finite candidates',
    () => {
      fuzz(
        'sampling-options',
        [optionsOrUnknown, fc.nat(2), fc.boolean(), fc.nat()],
        (raw, r, wide, seed) => {
          let o;
          try {
            o = parseGenerateOptions(raw);
          } catch (err) {
            if (err instanceof InvalidOptionError) return;
            throw err;
          }
          // the checks generate makes against the model (ids inside the vocabulary) are tested elsewhere; keep valid ones
          const eos = o.eosTokenId === undefined || o.eosTokenId === null ? [] : [o.eosTokenId].flat();
          const n = wide ? 50400 : V;
          const ids = [...eos, ...Object.keys(o.logitBias ?? {}).map(Number), ...(o.badWordsIds ?? []).flat(), ...(o.sequenceBias ?? []).flatMap(([s]) => s)];
          if (ids.some((x) => x >= n) || (o.maskedTokenRange && o.maskedTokenRange[1] > n)) return;
          const pipeline = buildPipeline(o, eos, o.maskedTokenRange ?? null);
          const scores = new Float32Array(n).fill(-5);
          scores.set(rows[r]!);
          const history = histories[r]!;
          const ctx = { ids: [...history, ...history.slice(0, 3)], promptLength: history.length };
          pipeline.processors.process(scores, ctx);
          const greedy = o.doSample === false || o.temperature === 0;
          const cand = greedy ? { scores, ids: null } : pipeline.warpers.run(scores, ctx);
          const problem = candidateProblem(cand.scores);
          if (problem !== null) throw new Error(problem);
          let pick: number;
          try {
            pick = (greedy ? new GreedySampler() : new MultinomialSampler(seed)).select(cand.scores);
          } catch (err) {
            if (err instanceof SamplingError && /every token was removed/.test(err.message)) return;
            throw err;
          }
          if (!(pick >= 0 && pick < cand.scores.length) || cand.scores[pick] === -Infinity) throw new Error(`picked ${pick} with score ${cand.scores[pick]}`);
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
