/**
 * The BPE merge rules as an open-addressing hash table keyed by the pair of token ids (left, right):
 * one multiply-xor hash and usually one probe, with no strings or boxed keys in the merge loop.
 * Each entry holds the merge's rank (its line in merges.txt: lower merges first) and the id it produces.
 */
export class MergeTable {
  private count = 0;
  private readonly mask: number;
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  /** ranks[slot] and results[slot] for a slot returned by find(). */
  readonly ranks: Int32Array;
  readonly results: Int32Array;

  constructor(capacity: number) {
    let slots = 1024;
    while (slots < capacity * 2.5) slots *= 2; // load factor <= 0.4
    this.mask = slots - 1;
    this.lefts = new Int32Array(slots).fill(-1);
    this.rights = new Int32Array(slots);
    this.ranks = new Int32Array(slots);
    this.results = new Int32Array(slots);
  }

  private static hash(left: number, right: number): number {
    let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right ^ 0x5bd1e995, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 13);
  }

  /** Number of merges held. */
  get size(): number {
    return this.count;
  }

  /** Adds the merge left+right -> result; a pair already present keeps its first (lowest) rank. */
  add(left: number, right: number, rank: number, result: number): void {
    if (this.count * 2 > this.mask) throw new RangeError('MergeTable is full: construct it with a larger capacity');
    let slot = MergeTable.hash(left, right) & this.mask;
    while (this.lefts[slot] !== -1) {
      if (this.lefts[slot] === left && this.rights[slot] === right) return;
      slot = (slot + 1) & this.mask;
    }
    this.lefts[slot] = left;
    this.rights[slot] = right;
    this.ranks[slot] = rank;
    this.results[slot] = result;
    this.count++;
  }

  /** Slot of the merge (left, right), or -1 if the pair never merges. */
  find(left: number, right: number): number {
    const lefts = this.lefts;
    let slot = MergeTable.hash(left, right) & this.mask;
    for (;;) {
      const l = lefts[slot]!;
      if (l === left && this.rights[slot] === right) return slot;
      if (l === -1) return -1;
      slot = (slot + 1) & this.mask;
    }
  }
}
