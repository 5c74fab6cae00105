// Test doubles for the structural interfaces: a causal LM whose next-token logits are a pure function of the
// row's real tokens (padding and masked positions ignored, as a correct model must), and a piece tokenizer.
import type { CausalLM, LMSession, TextTokenizer } from '../interfaces.js';

export type LogitsFn = (history: readonly number[]) => Float32Array;

export class FakeSession implements LMSession {
  rows: number[][];
  length = 0;
  disposed = false;
  forwards = 0;

  constructor(
    readonly batchSize: number,
    private readonly lm: FakeLM,
  ) {
    this.rows = Array.from({ length: batchSize }, () => []);
  }

  async forward(ids: number[][], mask?: number[][]): Promise<Float32Array> {
    if (this.disposed) throw new Error('forward on a disposed session');
    if (ids.length !== this.batchSize) throw new Error(`batch ${ids.length} != ${this.batchSize}`);
    this.forwards++;
    if (this.lm.delayMs > 0) await new Promise((r) => setTimeout(r, this.lm.delayMs));
    const V = this.lm.vocabSize;
    const out = new Float32Array(this.batchSize * V);
    ids.forEach((row, b) => {
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= V) throw new Error(`bad id ${id}`);
        if ((mask?.[b]?.[t] ?? 1) === 1) this.rows[b]!.push(id);
      });
      out.set(this.lm.logitsFor(this.rows[b]!), b * V);
    });
    this.length += ids[0]!.length;
    if (this.length > this.lm.maxLength) throw new Error('KV cache overflow');
    return out;
  }

  reorder(rows: number[]): void {
    this.rows = rows.map((r) => [...this.rows[r]!]);
  }

  dispose(): void {
    this.disposed = true;
  }
}

export class FakeLM implements CausalLM {
  readonly sessions: FakeSession[] = [];
  delayMs = 0;

  constructor(
    readonly vocabSize: number,
    readonly logitsFor: LogitsFn,
    readonly eosTokenId: number | null = null,
    readonly maxLength = 1024,
  ) {}

  createSession(batchSize: number): FakeSession {
    const s = new FakeSession(batchSize, this);
    this.sessions.push(s);
    return s;
  }
}

/** Next token depends on the last token only: logits = table[last]. */
export function markovLM(table: number[][], eosTokenId: number | null = null, maxLength = 1024): FakeLM {
  return new FakeLM(table.length, (h) => Float32Array.from(table[h[h.length - 1]!]!), eosTokenId, maxLength);
}

/** Next-token logits a pseudo-random function of the whole history (so any batching mistake shows). */
export function historyLM(vocabSize: number, eosTokenId: number | null = null): FakeLM {
  return new FakeLM(
    vocabSize,
    (h) => {
      let x = 2166136261;
      for (const id of h) x = Math.imul(x ^ id, 16777619);
      const out = new Float32Array(vocabSize);
      for (let v = 0; v < vocabSize; v++) {
        x = Math.imul(x ^ (x >>> 15), 2246822507);
        x ^= x >>> 13;
        out[v] = ((x >>> 0) / 4294967296) * 6 - 3;
      }
      return out;
    },
    eosTokenId,
  );
}

/** Tokenizer over a fixed list of pieces (id = index); encode is greedy longest match. */
export class PieceTokenizer implements TextTokenizer {
  constructor(readonly pieces: readonly string[]) {}

  encode(text: string): number[] {
    const ids: number[] = [];
    for (let i = 0; i < text.length; ) {
      let best = -1;
      for (let id = 0; id < this.pieces.length; id++) {
        const p = this.pieces[id]!;
        if (p.length > 0 && text.startsWith(p, i) && (best < 0 || p.length > this.pieces[best]!.length)) best = id;
      }
      if (best < 0) throw new Error(`cannot encode ${JSON.stringify(text.slice(i))}`);
      ids.push(best);
      i += this.pieces[best]!.length;
    }
    return ids;
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.pieces[id] ?? '').join('');
  }

  createStreamDecoder(): { write(id: number): string; end(): string } {
    return { write: (id) => this.pieces[id] ?? '', end: () => '' };
  }
}
