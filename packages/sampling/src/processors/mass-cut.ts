import { sortIdsDescending } from '../select.js';
import type { Scratch } from './softmax-stats.js';

const BUCKETS = 2048;

/**
 * Walks token ids in order of `key` descending (ties: lower id first; ids whose key is -Infinity are skipped),
 * accumulating `prob`, and stops at the first id for which `stop(massBefore, prob[id])` holds. That is what top-p
 * and typical-p need, without sorting the row: keys are bucketed by value (2048 equal-width buckets), bucket
 * masses locate the bucket holding the stop, and only that bucket is sorted. O(V) plus a sort of one bucket.
 *
 * `stop` must be monotone: once it holds for a running mass, it holds for every later id. Sets keep[id] = 1 for the
 * ids ranked before the stop (the caller clears the flags) and returns the stopping id, or -1 when nothing stops
 * (then not every finite id is flagged: the caller keeps the whole row), and the number of ids flagged.
 */
export class MassCut {
  private readonly mass = new Float64Array(BUCKETS);

  constructor(private readonly scratch: Scratch) {}

  run(
    key: ArrayLike<number>,
    prob: ArrayLike<number>,
    V: number,
    stop: (massBefore: number, p: number) => boolean,
    keep: Uint8Array,
  ): { stopId: number; flagged: number } {
    let max = -Infinity;
    let min = Infinity;
    for (let i = 0; i < V; i++) {
      const k = key[i]!;
      if (k === -Infinity) continue;
      if (k > max) max = k;
      if (k < min) min = k;
    }
    if (max === -Infinity) return { stopId: -1, flagged: 0 };
    const scale = min < max ? (BUCKETS - 1) / (max - min) : 0;
    const bucketOf = (k: number) => Math.floor((max - k) * scale); // 0 holds the largest keys
    const mass = this.mass.fill(0);
    for (let i = 0; i < V; i++) if (key[i]! !== -Infinity) mass[bucketOf(key[i]!)]! += prob[i]!;

    // the first bucket in which (or right after which) the stop happens
    let before = 0;
    let cutBucket = BUCKETS;
    for (let b = 0; b < BUCKETS; b++) {
      if (mass[b]! > 0 && (stop(before, mass[b]!) || stop(before + mass[b]!, 0))) {
        cutBucket = b;
        break;
      }
      before += mass[b]!;
    }
    // flag the buckets above it, collect its ids, and note the best id below it (the stop when the bucket holds none)
    const ids = this.scratch.int32(V);
    let n = 0;
    let flagged = 0;
    let next = -1;
    for (let i = 0; i < V; i++) {
      const k = key[i]!;
      if (k === -Infinity) continue;
      const b = bucketOf(k);
      if (b < cutBucket) {
        keep[i] = 1;
        flagged++;
      } else if (b === cutBucket) ids[n++] = i;
      else if (next < 0 || k > key[next]!) next = i;
    }
    sortIdsDescending(ids, n, key);
    for (let j = 0; j < n; j++) {
      const id = ids[j]!;
      if (stop(before, prob[id]!)) return { stopId: id, flagged };
      before += prob[id]!;
      keep[id] = 1;
      flagged++;
    }
    return { stopId: next >= 0 && stop(before, prob[next]!) ? next : -1, flagged };
  }
}
