import type { CausalLM, LMSession, SequencePool, SequencePoolOptions } from '../interfaces.js';
import { SequencePoolError } from './errors.js';
import { roundToBlocks } from './kv-blocks.js';

interface Sequence {
  session: LMSession;
  /** Every chunk fed so far, in order: a fork replays them to rebuild the same cache. */
  chunks: (readonly number[])[];
  /** Chunks still to feed before the next step (a fork's copy of its parent's history). */
  replay: (readonly number[])[];
  length: number;
}

/**
 * A SequencePool over any CausalLM: one batch-1 LMSession per sequence, and `step` runs the entries' sessions one
 * after another. It batches nothing (a native pool does), but it lets the Scheduler run on every backend. `fork`
 * replays the parent's chunks, in the same chunking, into a fresh session at the next step, so the copy's cache is
 * what the parent's is (a batch-1 forward is deterministic); `kvDtype` is the session's own (ignored here). A
 * step that fails in a session's forward leaves that sequence's cache unknown: remove it (the Scheduler does).
 * Positions are counted in blocks of `blockSize` (default 16, a paged pool's usual block), although each session
 * holds a whole context window: the accounting a paged pool would do, which the Scheduler reads from `blockSize`.
 */
export class SessionSequencePool implements SequencePool {
  readonly maxSequences: number;
  readonly blockSize: number;
  private readonly capacity: number;
  private readonly sequences = new Map<number, Sequence>();
  private nextId = 0;
  private stepping = false;
  private disposed = false;

  constructor(
    private readonly model: CausalLM,
    options: SequencePoolOptions & { blockSize?: number },
  ) {
    const { maxSequences, maxTokens, blockSize = 16 } = options;
    for (const [name, value] of [
      ['maxSequences', maxSequences],
      ['maxTokens', maxTokens ?? 1],
      ['blockSize', blockSize],
    ] as const) {
      if (!(Number.isInteger(value) && value >= 1)) throw new SequencePoolError(`${name} must be a positive integer, got ${value}`);
    }
    this.maxSequences = maxSequences;
    this.blockSize = blockSize;
    this.capacity = this.blocks(maxTokens ?? maxSequences * model.maxLength);
  }

  get freeTokens(): number {
    if (this.disposed) return 0; // as the native pool reports
    let used = 0;
    for (const s of this.sequences.values()) used += this.blocks(s.length);
    return this.capacity - used;
  }

  add(): number {
    return this.insert([]);
  }

  fork(id: number): number {
    const parent = this.get(id, 'fork');
    return this.insert([...parent.chunks]);
  }

  remove(id: number): void {
    this.get(id, 'remove').session.dispose();
    this.sequences.delete(id);
  }

  length(id: number): number {
    return this.get(id, 'length').length;
  }

  async step(entries: readonly { id: number; ids: readonly number[] }[], out?: Float32Array): Promise<Float32Array> {
    this.check('step');
    if (this.stepping) throw new SequencePoolError('step: the previous step has not finished');
    const V = this.model.vocabSize;
    const seen = new Set<number>();
    let grows = 0;
    for (const { id, ids } of entries) {
      if (seen.has(id)) throw new SequencePoolError(`step: sequence ${id} appears twice`);
      seen.add(id);
      const s = this.get(id, 'step');
      if (ids.length === 0) throw new SequencePoolError(`step: sequence ${id} has no ids`);
      const bad = ids.find((t) => !(Number.isInteger(t) && t >= 0 && t < V));
      if (bad !== undefined) throw new SequencePoolError(`step: sequence ${id} holds ${bad}, not a token id in [0, ${V})`);
      if (s.length + ids.length > this.model.maxLength) {
        throw new SequencePoolError(`step: sequence ${id} would hold ${s.length + ids.length} positions, beyond the context ${this.model.maxLength}`);
      }
      grows += this.blocks(s.length + ids.length) - this.blocks(s.length);
    }
    if (out !== undefined && !(out instanceof Float32Array && out.length >= entries.length * V)) {
      throw new SequencePoolError(`step: out must be a Float32Array of at least ${entries.length} x ${V} floats`);
    }
    if (grows > this.freeTokens)
      throw new SequencePoolError(`step: needs ${grows} more positions (whole blocks of ${this.blockSize}), only ${this.freeTokens} free (maxTokens)`);
    this.stepping = true;
    try {
      const logits = out ? out.subarray(0, entries.length * V) : new Float32Array(entries.length * V);
      for (const [i, { id, ids }] of entries.entries()) {
        const s = this.sequences.get(id)!;
        for (const chunk of s.replay.splice(0)) await s.session.forward([[...chunk]]);
        const chunk = [...ids];
        const row = await s.session.forward([chunk]);
        if (row.length !== V) throw new SequencePoolError(`step: the session returned ${row.length} logits, expected vocabSize ${V}`);
        s.chunks.push(chunk);
        s.length += chunk.length;
        logits.set(row, i * V);
      }
      return logits;
    } finally {
      this.stepping = false;
    }
  }

  dispose(): void {
    for (const s of this.sequences.values()) s.session.dispose();
    this.sequences.clear();
    this.disposed = true;
  }

  private insert(history: (readonly number[])[]): number {
    this.check('add');
    if (this.sequences.size >= this.maxSequences) throw new SequencePoolError(`no free sequence slot: all ${this.maxSequences} are in use (maxSequences)`);
    const id = this.nextId++;
    const length = history.reduce((n, c) => n + c.length, 0);
    this.sequences.set(id, { session: this.model.createSession(1), chunks: [...history], replay: history, length });
    return id;
  }

  /** `positions` rounded up to whole blocks. */
  private blocks(positions: number): number {
    return roundToBlocks(positions, this.blockSize);
  }

  private get(id: number, op: string): Sequence {
    this.check(op);
    const s = this.sequences.get(id);
    if (!s) throw new SequencePoolError(`${op}: no sequence ${id} in the pool`);
    return s;
  }

  private check(op: string): void {
    if (this.disposed) throw new SequencePoolError(`${op}: the pool is disposed`);
  }
}
