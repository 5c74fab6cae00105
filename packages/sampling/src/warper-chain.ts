import { kthLargest } from './select.js';
import { TemperatureProcessor } from './processors/temperature.js';
import { TopKProcessor } from './processors/top-k.js';
import type { LogitsProcessor, ProcessorContext } from './processors/types.js';

/** Candidate tokens after the warpers: `scores[j]` belongs to token `ids ? ids[j] : j`. */
export interface Candidates {
  scores: Float32Array;
  ids: Int32Array | null;
}

/**
 * Runs the sampling warpers (temperature, top-k, top-p, ...) and hands the survivors to the sampler. Once few
 * finite scores are left (top-k usually leaves k of 50400), the survivors are gathered in id order into a compact
 * buffer, and the remaining warpers and the sampler work on that instead of the full row. Warpers depend only on
 * the score values (and on id order for ties, which the gather keeps), so the result is the same.
 *
 * A chain that starts with [temperature,] top-k takes a fused path: two passes over the raw row instead of four.
 */
export class WarperChain {
  private sub = new Float32Array(0);
  private map = new Int32Array(0);
  private kthScratch = new Float32Array(0);
  private readonly fused: { divisor: number; topK: TopKProcessor; rest: readonly LogitsProcessor[] } | null;

  constructor(readonly warpers: readonly LogitsProcessor[]) {
    const [a, b] = warpers;
    if (a instanceof TopKProcessor) this.fused = { divisor: 1, topK: a, rest: warpers.slice(1) };
    else if (a instanceof TemperatureProcessor && b instanceof TopKProcessor) {
      this.fused = { divisor: Math.fround(a.temperature), topK: b, rest: warpers.slice(2) };
    } else this.fused = null;
  }

  get length(): number {
    return this.warpers.length;
  }

  run(scores: Float32Array, ctx: ProcessorContext): Candidates {
    this.reserve(scores.length >> 3);
    const fusedCount = this.fused ? this.fusedTopK(scores, this.fused.divisor, this.fused.topK) : -1;
    let view = scores;
    let ids: Int32Array | null = null;
    let rest = this.warpers;
    if (fusedCount >= 0) {
      view = this.sub.subarray(0, fusedCount);
      ids = this.map.subarray(0, fusedCount);
      rest = this.fused!.rest;
    }
    for (const w of rest) {
      w.process(view, ctx);
      if (ids === null) {
        const n = this.gather(view);
        if (n >= 0) {
          view = this.sub.subarray(0, n);
          ids = this.map.subarray(0, n);
        }
      }
    }
    return { scores: view, ids };
  }

  private reserve(cap: number): void {
    if (this.sub.length < cap) {
      this.sub = new Float32Array(cap);
      this.map = new Int32Array(cap);
    }
  }

  /** Gathers the finite scores if at most 1/8 of the row; returns their count, or -1 when there are more. */
  private gather(row: Float32Array): number {
    const cap = row.length >> 3;
    let n = 0;
    for (let i = 0; i < row.length; i++) {
      const v = row[i]!;
      if (v === -Infinity) continue;
      if (n === cap) return -1;
      this.sub[n] = v;
      this.map[n++] = i;
    }
    return n;
  }

  /**
   * Temperature then top-k, exactly as the two processors would do, without dividing the whole row: dividing by
   * t > 0 keeps the order, so the k-th largest scaled score is fround(e / t) with e the k-th largest raw score, and
   * a token survives when fround(s / t) >= fround(e / t). Only scores within a relative 1e-5 below e (far more than
   * float32 rounding can close) need the division to decide. Gathers the survivors (scaled); -1 if more than 1/8 of
   * the row survives, or when the best score divided by t overflows (then the plain path runs on the untouched row,
   * and the temperature processor's limit rule applies).
   */
  private fusedTopK(scores: Float32Array, divisor: number, topK: TopKProcessor): number {
    const V = scores.length;
    const k = Math.min(Math.max(topK.topK, topK.minTokensToKeep), V);
    if (this.kthScratch.length < V) this.kthScratch = new Float32Array(V);
    const e = kthLargest(scores, k, this.kthScratch);
    const cap = V >> 3;
    const threshold = Math.fround(e / divisor);
    const low = e - Math.max(Math.abs(e), 1e-30) * 1e-5;
    let n = 0;
    let max = -Infinity;
    for (let i = 0; i < V; i++) {
      const v = scores[i]!;
      if (!(v >= low)) continue;
      const q = Math.fround(v / divisor);
      if (q < threshold) continue;
      if (n === cap) return -1;
      if (v > max) max = v;
      this.sub[n] = q;
      this.map[n++] = i;
    }
    // the best raw score always survives, so `max` is the row's maximum
    if (max !== -Infinity && !TemperatureProcessor.scalesFinite(max, divisor)) return -1;
    return n;
  }
}
