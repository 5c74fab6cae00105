// The structural interfaces the generation loop talks to. @gptj/model and @gptj/tokenizer implement them;
// sampling never imports either package, so any causal LM / tokenizer with these shapes works.

export interface CausalLM {
  readonly vocabSize: number; // logits width (50400 for GPT-J)
  readonly maxLength: number; // context window (n_positions)
  readonly eosTokenId: number | null;
  createSession(batchSize: number): LMSession;
  /**
   * Optional: many independent sequences in one runner, for the Scheduler (continuous batching). Returns undefined
   * where the backend has none; the Scheduler then falls back to SessionSequencePool (one LMSession per sequence).
   */
  createSequencePool?(options: SequencePoolOptions): SequencePool | undefined;
}

export interface SequencePoolOptions {
  maxSequences: number;
  /** KV positions held across all sequences (default: the backend's choice). */
  maxTokens?: number;
  kvDtype?: 'f32' | 'f16';
}

/**
 * Independent sequences, each with its own KV cache and positions (from 0), advanced together: one `step` runs any
 * mix of them, some prefilling a chunk of their prompt, others decoding one token. A sequence joins (`add`, `fork`)
 * or leaves (`remove`) between steps without touching the others. Exact: a sequence's logits equal those of the
 * same sequence run alone.
 */
export interface SequencePool {
  readonly maxSequences: number;
  /**
   * KV positions per block: the pool hands out its cache in whole blocks, so a sequence of length L holds
   * ceil(L / blockSize) * blockSize of freeTokens. The Scheduler reserves in these units (1: no rounding); it reads
   * the value once, when it is constructed.
   */
  readonly blockSize: number;
  /** KV positions still free across the pool, a multiple of blockSize. */
  readonly freeTokens: number;
  /** A new empty sequence; returns its id. */
  add(): number;
  /** A new sequence holding a copy of sequence `id`'s cache; returns its id. */
  fork(id: number): number;
  remove(id: number): void;
  /** Positions held by sequence `id`. */
  length(id: number): number;
  /**
   * Appends each entry's ids to its sequence; logits [entries.length * V] of each entry's last position, in entry order.
   * With `out` (at least that many floats) the logits go to its start and the result is a view of it: the Scheduler
   * passes one buffer to every step instead of taking a fresh array of up to maxSequences x V floats per step.
   * A pool may also fill `best` (2 ints per entry) with a scan of each entry's row: best[2i] = the lowest id of its
   * highest logit (NaN skipped), best[2i + 1] = the first id holding NaN or +Infinity, or -1; one that does not
   * leaves it as it was (the Scheduler then scans in JS).
   * An entry with `skipLogits` (given only with `best`) needs its scan alone: a pool may leave that row of `out`
   * unwritten but for its highest logit at best[2i], and must write it in full whenever the scan cannot give the
   * greedy pick (NaN or +Infinity in the row, nothing above -Infinity, or the winner inside `unlessBestIn`, a banned
   * [start, end) id range, [0, 0] for none). A pool that does not know the field writes every row.
   */
  step(
    entries: readonly { id: number; ids: readonly number[]; skipLogits?: { unlessBestIn: readonly [number, number] } }[],
    out?: Float32Array,
    best?: Int32Array,
  ): Promise<Float32Array>;
  dispose(): void;
}

export interface LMSession {
  readonly batchSize: number;
  readonly length: number; // positions held in the KV cache per row (padding included)
  // Appends ids [B][T] (same T for every row) with mask [B][T] (1 = real token, 0 = left pad; default all 1) to the
  // cache; position ids follow HF generate (cumsum(mask) - 1 over everything seen so far).
  // Returns the logits of the last appended position of each row: Float32Array of B * vocabSize.
  forward(ids: number[][], mask?: number[][]): Promise<Float32Array>;
  reorder(rows: number[]): void; // beam search: new row i = old row rows[i] (cache and mask)
  dispose(): void; // frees the KV cache
}

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  createStreamDecoder(): { write(id: number): string; end(): string }; // emits only complete UTF-8 text
}
