/** Retained capacity of an IdBuffer between uses; a larger one is dropped after toArray(). */
const MAX_RETAINED = 1 << 20;

/**
 * A growable list of token ids in an Int32Array, reused across encode() calls. Filling a JS array with
 * push() grows and copies its backing store several times, which on large outputs costs more than the
 * tokenization itself; here the ids go to one reused buffer and into an exactly sized array at the end.
 */
export class IdBuffer {
  private data = new Int32Array(1024);
  length = 0;

  push(id: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = id;
  }

  pushAll(ids: readonly number[]): void {
    if (this.length + ids.length > this.data.length) this.grow(this.length + ids.length);
    for (let k = 0; k < ids.length; k++) this.data[this.length++] = ids[k]!;
  }

  /** The ids as a new array; empties the buffer. */
  toArray(): number[] {
    const n = this.length;
    const out: number[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.data[k]!;
    this.length = 0;
    if (this.data.length > MAX_RETAINED) this.data = new Int32Array(1024);
    return out;
  }

  private grow(min: number): void {
    const bigger = new Int32Array(Math.max(min, this.data.length * 2));
    bigger.set(this.data.subarray(0, this.length));
    this.data = bigger;
  }
}
