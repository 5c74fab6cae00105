// Partial selection over one row of scores (a Float32Array view of V logits). The pipeline never sorts a whole
// 50400-wide row: top-k needs only the k-th largest value, and ordered prefixes are sorted after selection.

const HEAP_MAX_K = 256;

/**
 * The k-th largest value (1-based k, 1 <= k <= n) of values[0..n), NaN ignored. Small k: one pass with a size-k
 * min-heap (most elements lose a single comparison against the heap root); large k: quickselect on `scratch`.
 */
export function kthLargest(values: Float32Array, k: number, scratch: Float32Array): number {
  const n = values.length;
  if (k < 1 || k > n) throw new RangeError(`kthLargest: k=${k} outside 1..${n}`);
  return k <= HEAP_MAX_K ? kthLargestHeap(values, k, scratch) : kthLargestSelect(values, k, scratch);
}

function kthLargestHeap(values: Float32Array, k: number, heap: Float32Array): number {
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (size < k) {
      if (v !== v) continue;
      // sift up
      let j = size++;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (heap[parent]! <= v) break;
        heap[j] = heap[parent]!;
        j = parent;
      }
      heap[j] = v;
    } else if (v > heap[0]!) {
      // replace the root, sift down
      let j = 0;
      for (;;) {
        const l = 2 * j + 1;
        if (l >= k) break;
        const r = l + 1;
        const c = r < k && heap[r]! < heap[l]! ? r : l;
        if (heap[c]! >= v) break;
        heap[j] = heap[c]!;
        j = c;
      }
      heap[j] = v;
    }
  }
  return size < k ? -Infinity : heap[0]!;
}

function kthLargestSelect(values: Float32Array, k: number, a: Float32Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) a[n++] = v;
  }
  if (k > n) return -Infinity;
  // k-th largest = element of rank n-k in ascending order; Hoare partition around a median of three
  const target = n - k;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const x = a[lo]!,
      y = a[mid]!,
      z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

/**
 * Sorts ids[0..n) in place by key[id] descending, ties lower id first (the order HF's top-k/top-p/typical outputs
 * show). Used on already-selected prefixes, so a comparator sort is fine.
 */
export function sortIdsDescending(ids: Int32Array, n: number, key: ArrayLike<number>): void {
  ids.subarray(0, n).sort((x, y) => key[y]! - key[x]! || x - y);
}

/**
 * Writes to `out` the ids of the k largest values, sorted descending, ties lower index first (the order of
 * torch.topk and argmax on the CPU); returns the count (k, or fewer when the row has fewer non-NaN values).
 */
export function topKIndices(values: Float32Array, k: number, out: Int32Array, scratch: Float32Array): number {
  const thr = kthLargest(values, Math.min(k, values.length), scratch);
  let n = 0;
  for (let i = 0; i < values.length && n < out.length; i++) if (values[i]! > thr) out[n++] = i;
  for (let i = 0; i < values.length && n < k; i++) if (values[i]! === thr) out[n++] = i;
  sortIdsDescending(out, n, values);
  return Math.min(n, k);
}
