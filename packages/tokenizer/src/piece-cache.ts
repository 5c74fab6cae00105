/**
 * Cache of pre-token -> ids, keyed by the pre-token's characters in place: a lookup hashes and compares
 * text[i..j) directly, so a hit (most pieces of real text) allocates nothing, unlike slicing a substring
 * to look it up in a Map. Open addressing; when half full it is emptied (cheaper than LRU bookkeeping,
 * and a working set of common words refills it at once). It starts small and doubles (emptied) each time it
 * fills up to `maxSlots`, so that a tokenizer that encodes little, or is loaded and dropped, costs little.
 */
export class PieceCache {
  // Assigned only by allocate(), always with arrays of the same kinds, so that find() stays monomorphic.
  private mask!: number;
  private keys!: (string | undefined)[];
  private hashes!: Int32Array;
  /** The id of a one-token piece, or -1 when the piece has several (then in `multi`). */
  private single!: Int32Array;
  private multi!: (readonly number[] | undefined)[];
  private count = 0;

  constructor(private readonly maxSlots = 1 << 18) {
    this.allocate(Math.min(1 << 10, maxSlots));
  }

  private allocate(slots: number): void {
    this.mask = slots - 1;
    this.keys = new Array(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.single = new Int32Array(slots);
    this.multi = new Array(slots).fill(undefined);
    this.count = 0;
  }

  /** FNV-1a style hash of text[i..j). */
  static hash(text: string, i: number, j: number): number {
    let h = 0x811c9dc5 ^ (j - i);
    for (let k = i; k < j; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
    return h ^ (h >>> 16);
  }

  /** Slot holding text[i..j) (whose hash is h), or -1. */
  find(text: string, i: number, j: number, h: number): number {
    const keys = this.keys;
    const len = j - i;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = keys[slot];
      if (key === undefined) return -1;
      if (this.hashes[slot] === h && key.length === len) {
        let k = 0;
        while (k < len && key.charCodeAt(k) === text.charCodeAt(i + k)) k++;
        if (k === len) return slot;
      }
    }
  }

  /** The id at a found slot, or -1 if the piece has several (read them with multiAt). */
  singleAt(slot: number): number {
    return this.single[slot]!;
  }

  multiAt(slot: number): readonly number[] {
    return this.multi[slot]!;
  }

  /** Stores the ids of text[i..j) (hash h), which must not be cached yet. */
  add(text: string, i: number, j: number, h: number, ids: readonly number[]): void {
    if (this.count * 2 >= this.mask) this.clear();
    let slot = h & this.mask;
    while (this.keys[slot] !== undefined) slot = (slot + 1) & this.mask;
    this.keys[slot] = copyOf(text, i, j);
    this.hashes[slot] = h;
    if (ids.length === 1) this.single[slot] = ids[0]!;
    else {
      this.single[slot] = -1;
      this.multi[slot] = ids.slice();
    }
    this.count++;
  }

  private clear(): void {
    if (this.mask + 1 < this.maxSlots) return this.allocate(2 * (this.mask + 1));
    this.keys.fill(undefined);
    this.multi.fill(undefined);
    this.count = 0;
  }
}

/**
 * text[i..j) as a string of its own. A plain slice of 13 or more units is a view that keeps the whole
 * input string alive as long as the cache holds the key; a concatenation, once flattened, does not.
 */
function copyOf(text: string, i: number, j: number): string {
  if (j - i < 13) return text.slice(i, j);
  return (text.slice(i, j) + ' ').slice(0, -1);
}
