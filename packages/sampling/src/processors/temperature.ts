import type { LogitsProcessor } from './types.js';

/**
 * scores / temperature (HF TemperatureLogitsWarper). Temperature 0 is not a division: the pipeline switches to greedy.
 *
 * A temperature small enough that the best score divided by it overflows float32 (1e-40 on logits near 10) makes
 * torch's row inf/NaN, and its sampler then fails. Here such a row becomes the exact limit instead: softmax(s / T)
 * computed without overflow, exp((s - max) / T), is 0 for every token below the maximum (the gap to the best of two
 * distinct float32 scores, divided by such a T, exceeds 1e31), so the row keeps the tokens tied at the best score
 * (score 0) and removes the rest: greedy decoding, with ties drawn uniformly.
 */
export class TemperatureProcessor implements LogitsProcessor {
  private readonly t: number;
  private readonly best: number[] = [];

  constructor(readonly temperature: number) {
    if (!(Math.fround(temperature) > 0) || !Number.isFinite(Math.fround(temperature))) {
      throw new RangeError(`temperature must be a number > 0 that is finite and not 0 in float32, got ${temperature}`);
    }
    // torch divides a float32 tensor by the scalar rounded to float32; do the same so results match bit for bit
    this.t = Math.fround(temperature);
  }

  process(scores: Float32Array): void {
    const t = this.t;
    const best = this.best;
    best.length = 0;
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) {
      const v = scores[i]!;
      if (v >= max && v !== -Infinity) {
        if (v > max) {
          max = v;
          best.length = 0;
        }
        best.push(i);
      }
      scores[i] = v / t;
    }
    if (max === -Infinity || TemperatureProcessor.scalesFinite(max, t)) return;
    scores.fill(-Infinity);
    for (const i of best) scores[i] = 0;
  }

  /** Whether the best score `max` divided by the float32 temperature `t` stays finite in float32. */
  static scalesFinite(max: number, t: number): boolean {
    return Number.isFinite(Math.fround(max / t));
  }
}
