// The structural interfaces the generation loop talks to. @gptj/model and @gptj/tokenizer implement them;
// sampling never imports either package, so any causal LM / tokenizer with these shapes works.

export interface CausalLM {
  readonly vocabSize: number;        // logits width (50400 for GPT-J)
  readonly maxLength: number;        // context window (n_positions)
  readonly eosTokenId: number | null;
  createSession(batchSize: number): LMSession;
}

export interface LMSession {
  readonly batchSize: number;
  readonly length: number;           // positions held in the KV cache per row (padding included)
  // Appends ids [B][T] (same T for every row) with mask [B][T] (1 = real token, 0 = left pad; default all 1) to the
  // cache; position ids follow HF generate (cumsum(mask) - 1 over everything seen so far).
  // Returns the logits of the last appended position of each row: Float32Array of B * vocabSize.
  forward(ids: number[][], mask?: number[][]): Promise<Float32Array>;
  reorder(rows: number[]): void;     // beam search: new row i = old row rows[i] (cache and mask)
  dispose(): void;                   // frees the KV cache
}

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  createStreamDecoder(): { write(id: number): string; end(): string };  // emits only complete UTF-8 text
}
