import type { LogitsProcessor } from './types.js';

/** OpenAI's logit_bias: adds a fixed bias to chosen token ids' scores (-100 / +100 act as ban / force). */
export class LogitBiasProcessor implements LogitsProcessor {
  private readonly ids: Int32Array;
  private readonly biases: Float64Array;

  constructor(bias: ReadonlyMap<number, number> | Readonly<Record<number, number>>) {
    const entries: [number, number][] = bias instanceof Map ? [...bias.entries()] : Object.entries(bias).map(([k, v]): [number, number] => [Number(k), v]);
    this.ids = Int32Array.from(entries, (e) => e[0]);
    this.biases = Float64Array.from(entries, (e) => e[1]);
  }

  process(scores: Float32Array): void {
    for (let i = 0; i < this.ids.length; i++) {
      const id = this.ids[i]!;
      scores[id] = scores[id]! + this.biases[i]!;
    }
  }
}
