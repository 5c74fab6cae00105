// Greedy decoding's hot path: at 32 rows of 50,400 logits per step, checkLogits and GreedySampler.select were two
// full passes per row (about half the scheduler's JS time per step). When nothing but a banned id range stands
// between the model's logits and the argmax (the default GPT-J pipeline: TokenRangeMaskProcessor), one pass does
// both, with the same outcome: the first non-finite logit's InvalidLogitsError, else the lowest id of the highest
// score outside the banned range.
import { InvalidLogitsError, SamplingError } from './errors.js';
import type { LogitsProcessorList } from './processors/types.js';
import { TokenRangeMaskProcessor } from './processors/token-range-mask.js';

/** Ids [start, end) a greedy pick skips; [0, 0) skips none. */
export type BannedRange = readonly [start: number, end: number];

/**
 * The range banned by `processors` when they do nothing else (none, or one TokenRangeMaskProcessor), else null:
 * then checkedArgmax over the raw scores equals checkLogits, the processors, and GreedySampler.select.
 */
export function bannedRangeOnly(processors: LogitsProcessorList): BannedRange | null {
  if (processors.length === 0) return [0, 0];
  const [p] = processors.processors;
  return processors.length === 1 && p instanceof TokenRangeMaskProcessor ? [p.start, p.end] : null;
}

/**
 * checkLogits(scores, row), then the argmax (ties to the lowest id, as torch.argmax) of scores outside `banned`, in one
 * pass. Throws InvalidLogitsError for the first NaN or +Infinity anywhere; SamplingError when every allowed score is -Infinity.
 */
export function checkedArgmax(scores: Float32Array, row: number, banned: BannedRange): number {
  const n = scores.length;
  const start = Math.min(banned[0], n);
  const end = Math.min(Math.max(banned[1], start), n);
  let best = argmaxFrom(scores, row, 0, start, -1);
  for (let i = start; i < end; i++) {
    const v = scores[i]!;
    if (v !== v || v === Infinity) throw new InvalidLogitsError(row, i, v);
  }
  best = argmaxFrom(scores, row, end, n, best);
  if (best < 0) throw new SamplingError('every token was removed by the logits processors; nothing to choose from');
  return best;
}

/** The argmax of scores[from, to) and scores[best] (best -1: none yet), checking each value on the way. */
function argmaxFrom(scores: Float32Array, row: number, from: number, to: number, best: number): number {
  let bestScore = best < 0 ? -Infinity : scores[best]!;
  // the common case (v not above the best) costs one comparison and the NaN test
  for (let i = from; i < to; i++) {
    const v = scores[i]!;
    if (v > bestScore) {
      if (v === Infinity) throw new InvalidLogitsError(row, i, v);
      bestScore = v;
      best = i;
    } else if (v !== v) throw new InvalidLogitsError(row, i, v);
  }
  return best;
}

/**
 * checkedArgmax's outcome, taken from a scan of the raw row made elsewhere (a sequence pool's, off the JS thread) when
 * `scanArgmax` >= 0: scanArgmax the lowest id of the row's highest logit, scanFirstBad the first NaN or +Infinity id
 * or -1. The row is only read again when the scan's winner is banned or -Infinity.
 */
export function greedyPick(scores: Float32Array, row: number, banned: BannedRange, scanArgmax: number, scanFirstBad: number): number {
  if (scanArgmax < 0) return checkedArgmax(scores, row, banned);
  if (scanFirstBad >= 0) throw new InvalidLogitsError(row, scanFirstBad, scores[scanFirstBad]!);
  // the lowest id of the highest logit, when allowed, is also the lowest id of the highest allowed logit
  const allowed = scanArgmax < banned[0] || scanArgmax >= banned[1];
  return allowed && scores[scanArgmax]! > -Infinity ? scanArgmax : checkedArgmax(scores, row, banned);
}
