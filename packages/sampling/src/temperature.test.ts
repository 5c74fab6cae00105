// Temperature at the float32 extremes against a reference softmax computed without overflow in float64:
// p_i = exp((s_i - max) / T) / sum_j exp((s_j - max) / T), T rounded to float32 as torch does. The rows are
// transformers' processor fixture (ties at the top, -inf entries) and a row of negative scores.
import { readFixtureF32 } from '@gptj/test-fixtures';
import { describe, expect, it } from 'vitest';
import { TemperatureProcessor } from './processors/temperature.js';
import { TopKProcessor } from './processors/top-k.js';
import { TopPProcessor } from './processors/top-p.js';
import { LogitsProcessorList } from './processors/types.js';
import { WarperChain } from './warper-chain.js';

const fixture = readFixtureF32('sampling-refs', 'processors', 'scores_in.f32');
const V = 512;
const negative = Float32Array.from({ length: V }, (_, i) => -5 - (i % 37) * 0.25); // best -5, tied 14 times
const rows = [0, 1, 2].map((b) => fixture.slice(b * V, (b + 1) * V)).concat([negative]);

function referenceProbs(scores: Float32Array, temperature: number): Float64Array {
  const t = Math.fround(temperature);
  let max = -Infinity;
  for (const v of scores) max = Math.max(max, v);
  const p = Float64Array.from(scores, (v) => (v === -Infinity ? 0 : Math.exp((v - max) / t)));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
  const p = Float64Array.from(scores as ArrayLike<number>, (v) => (v === -Infinity ? 0 : Math.exp(v - max)));
  const z = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / z);
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('temperature at the float32 extremes equals the overflow-free softmax', () => {
  // 1e-40 is a float32 subnormal: logits / T overflow (torch gets inf/NaN); 3e38 is near float32's largest value.
  for (const t of [1e-40, 1e-38, 1e-35, 0.7, 1e30, 3e38]) {
    it(`T = ${t}`, () => {
      for (const [r, scores] of rows.entries()) {
        const out = scores.slice();
        new TemperatureProcessor(t).process(out);
        for (const v of out) expect(Number.isNaN(v) || v === Infinity, `row ${r}`).toBe(false);
        expect(maxAbsDiff(softmax(out), referenceProbs(scores, t)), `row ${r}`).toBeLessThan(1e-6);
      }
    });
  }

  it('an overflowing temperature keeps exactly the tokens tied at the best score', () => {
    for (const scores of rows) {
      const out = scores.slice();
      new TemperatureProcessor(1e-40).process(out);
      const max = Math.max(...scores);
      for (let i = 0; i < V; i++) expect(out[i]).toBe(scores[i] === max ? 0 : -Infinity);
    }
  });

  it('the warper chain (fused temperature + top-k, and the generic path) equals the processors applied in turn', () => {
    for (const scores of rows) {
      for (const make of [() => [new TemperatureProcessor(1e-40), new TopKProcessor(50)], () => [new TemperatureProcessor(1e-40), new TopPProcessor(0.9)]]) {
        const wide = new Float32Array(50400).fill(-Infinity);
        wide.set(scores);
        const { scores: got, ids } = new WarperChain(make()).run(wide.slice(), { ids: [], promptLength: 0 });
        const chain = new Float32Array(50400).fill(-Infinity);
        if (ids) ids.forEach((id, j) => (chain[id] = got[j]!));
        else chain.set(got);
        new LogitsProcessorList(make()).process(wide, { ids: [], promptLength: 0 });
        expect(chain.findIndex((v, i) => !Object.is(v, wide[i]))).toBe(-1); // toEqual on 50400 floats is slow
        expect(wide.filter((v) => v === 0).length).toBeGreaterThan(0);
      }
    }
  });

  it('refuses a temperature that is 0 or infinite in float32', () => {
    expect(() => new TemperatureProcessor(1e-46)).toThrow(RangeError);
    expect(() => new TemperatureProcessor(3.5e38)).toThrow(RangeError);
  });
});
