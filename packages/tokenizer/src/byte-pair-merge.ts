import type { MergeTable } from './merge-table.js';

const NO_MERGE = 0x7fffffff;

/**
 * Pieces up to this many bytes merge with a linear scan for the lowest-ranked pair (tiktoken's
 * `_byte_pair_merge`): O(n^2) but the fastest for the short pieces that make up real text. Longer pieces
 * (a megabyte of one letter is one piece) use a heap so the time stays O(n log n).
 */
export const LINEAR_MAX_BYTES = 96;

// Scratch buffers shared by all calls (encoding is synchronous, so there is no reentry).
const pairRank = new Int32Array(LINEAR_MAX_BYTES); // linear: rank of the pair (parts[i], parts[i+1]), NO_MERGE if none
const pairResult = new Int32Array(LINEAR_MAX_BYTES); // linear: the id that pair merges into
/** Heap merges of pieces up to this many bytes reuse scratch buffers; longer ones allocate their own. */
const HEAP_SCRATCH_MAX = 4096;
const nextPart = new Int32Array(HEAP_SCRATCH_MAX); // heap: linked list of live parts
const prevPart = new Int32Array(HEAP_SCRATCH_MAX);
const deadPart = new Uint8Array(HEAP_SCRATCH_MAX);
const heapKeys = new Float64Array(3 * HEAP_SCRATCH_MAX); // n - 1 initial pairs plus at most 2 per merge

/**
 * Byte-pair encoding of one pre-token. parts[0..n) holds the ids of its single-byte tokens on entry and is
 * used as scratch; the final token ids are appended to out. The pair with the lowest rank merges first,
 * the leftmost on ties, which equals merging every occurrence of that pair left to right (GPT-2's
 * reference `bpe`) because a merge's rank is always above the ranks of the merges that made its parts.
 */
export function bytePairMerge(table: MergeTable, parts: Int32Array, n: number, out: number[]): void {
  if (n === 1) out.push(parts[0]!);
  else if (n <= LINEAR_MAX_BYTES) mergeLinear(table, parts, n, out);
  else mergeHeap(table, parts, n, out);
}

/** Linear-scan merge (n <= LINEAR_MAX_BYTES): parts is an array of live tokens, compacted after each merge. */
export function mergeLinear(table: MergeTable, parts: Int32Array, n: number, out: number[]): void {
  if (n > LINEAR_MAX_BYTES) throw new RangeError(`mergeLinear takes at most ${LINEAR_MAX_BYTES} bytes, got ${n}`);
  const ranks = table.ranks;
  const results = table.results;
  const rank = pairRank;
  const result = pairResult;
  for (let i = 0; i + 1 < n; i++) {
    const s = table.find(parts[i]!, parts[i + 1]!);
    if (s < 0) rank[i] = NO_MERGE;
    else {
      rank[i] = ranks[s]!;
      result[i] = results[s]!;
    }
  }
  let len = n;
  while (len > 1) {
    let best = NO_MERGE;
    let at = -1;
    for (let i = 0; i + 1 < len; i++) {
      if (rank[i]! < best) {
        best = rank[i]!;
        at = i;
      }
    }
    if (at < 0) break;
    parts[at] = result[at]!;
    // Drop parts[at + 1]; pair i + 1 becomes pair i for the pairs right of the merge.
    for (let k = at + 1; k + 1 < len; k++) parts[k] = parts[k + 1]!;
    for (let k = at + 1; k + 2 < len; k++) {
      rank[k] = rank[k + 1]!;
      result[k] = result[k + 1]!;
    }
    len--;
    if (at > 0) {
      const s = table.find(parts[at - 1]!, parts[at]!);
      rank[at - 1] = s < 0 ? NO_MERGE : ranks[s]!;
      if (s >= 0) result[at - 1] = results[s]!;
    }
    if (at + 1 < len) {
      const s = table.find(parts[at]!, parts[at + 1]!);
      rank[at] = s < 0 ? NO_MERGE : ranks[s]!;
      if (s >= 0) result[at] = results[s]!;
    }
  }
  for (let i = 0; i < len; i++) out.push(parts[i]!);
}

/**
 * Heap merge for long pieces: parts stay in place as a doubly linked list (a merge keeps the left slot and
 * unlinks the right one); a binary min-heap holds candidate pairs keyed rank * span + leftIndex, so the
 * lowest rank pops first and the leftmost on ties. Entries go stale when a neighbour merges; a popped
 * entry is used only if its left slot is live and the pair now there still has the popped rank.
 */
export function mergeHeap(table: MergeTable, parts: Int32Array, n: number, out: number[]): void {
  const ranks = table.ranks;
  const results = table.results;
  const small = n <= HEAP_SCRATCH_MAX;
  const next = small ? nextPart : new Int32Array(n);
  const prev = small ? prevPart : new Int32Array(n);
  const dead = small ? deadPart.fill(0, 0, n) : new Uint8Array(n);
  const heap = small ? heapKeys : new Float64Array(3 * n);
  let span = 1;
  while (span <= n) span *= 2; // keys stay exact doubles: rank < 2^31, span <= 2^27 for 100M bytes
  let size = 0;

  const push = (key: number) => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= key) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap[--size]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && heap[c + 1]! < heap[c]!) c++;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
    return top;
  };

  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
    if (i + 1 < n) {
      const s = table.find(parts[i]!, parts[i + 1]!);
      if (s >= 0) push(ranks[s]! * span + i);
    }
  }
  while (size > 0) {
    const key = pop();
    const rank = Math.floor(key / span);
    const i = key - rank * span;
    if (dead[i]) continue;
    const j = next[i]!;
    if (j < 0) continue;
    const s = table.find(parts[i]!, parts[j]!);
    if (s < 0 || ranks[s] !== rank) continue; // stale: the pair at i changed
    parts[i] = results[s]!;
    dead[j] = 1;
    const k = next[j]!;
    next[i] = k;
    if (k >= 0) prev[k] = i;
    const h = prev[i]!;
    if (h >= 0) {
      const sl = table.find(parts[h]!, parts[i]!);
      if (sl >= 0) push(ranks[sl]! * span + h);
    }
    if (k >= 0) {
      const sr = table.find(parts[i]!, parts[k]!);
      if (sr >= 0) push(ranks[sr]! * span + i);
    }
  }
  for (let i = 0; i >= 0; i = next[i]!) out.push(parts[i]!);
}
