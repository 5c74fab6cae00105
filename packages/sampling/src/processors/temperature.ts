import type { LogitsProcessor } from './types.js';

/** scores / temperature (HF TemperatureLogitsWarper). Temperature 0 is not a division: the pipeline switches to greedy. */
export class TemperatureProcessor implements LogitsProcessor {
  private readonly t: number;

  constructor(readonly temperature: number) {
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new RangeError(`temperature must be a finite number > 0, got ${temperature}`);
    }
    // torch divides a float32 tensor by the scalar rounded to float32; do the same so results match bit for bit
    this.t = Math.fround(temperature);
  }

  process(scores: Float32Array): void {
    const t = this.t;
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / t;
  }
}
