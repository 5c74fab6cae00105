// The two checks each bring-your-own-architecture example gets, against its float64 reference: the batch's logits,
// and what the built example prints (its logits and greedy tokens).
import type { Decoder } from '@gptj/layers';
import { expect, it } from 'vitest';
import { type CacheShape, PROMPTS, logitsOf } from '../run-decoder.js';
import * as f64 from './naive-f64.js';
import { field, runExample } from './run-example.js';

export interface Architecture {
  example: string; // dist/<example>.js
  build: () => Decoder; // the example's model, with the weights it prints from
  shape: CacheShape;
  vocabSize: number;
  reference: (ids: readonly number[]) => f64.Vec; // float64 logits [n, V] of one sequence
}

export function checkArchitecture(a: Architecture, maxError: number): void {
  it(`matches the float64 reference on a batch of two prompts within ${maxError}`, async () => {
    const model = a.build();
    const err = f64.maxRelError(await logitsOf(model, a.shape, PROMPTS), Float64Array.from(PROMPTS.flatMap((p) => [...a.reference(p)])));
    console.log(`${a.example}: max |logit - float64 reference| / max |reference| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(maxError);
    model.dispose();
  });

  it('prints logits and greedy tokens that the float64 reference agrees with', async () => {
    const out = await runExample(a.example);
    const [n, v] = [PROMPTS[0].length, a.vocabSize];
    const ref = a.reference(PROMPTS[0]);
    const printed = field(out, `logits [2, ${n}, ${v}], row 0 last position`).split(' ').slice(0, 4).map(Number);
    printed.forEach((x, i) => expect(Math.abs(x - ref[(n - 1) * v + i]!)).toBeLessThan(6e-5)); // printed to 4 decimals
    const greedy = field(out, 'greedy after row 0').split(' ').map(Number);
    expect(greedy).toHaveLength(8);
    const ids = [...PROMPTS[0]];
    for (const next of greedy) {
      expect(next).toBe(f64.argmax(a.reference(ids).subarray((ids.length - 1) * v)));
      ids.push(next);
    }
  });
}
