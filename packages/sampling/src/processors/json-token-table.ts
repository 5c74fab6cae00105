// The vocabulary as byte strings, sorted so that tokens sharing a prefix are neighbours: a mask over all tokens
// then runs the JSON automaton over each distinct prefix once (resuming at the prefix shared with the previous
// token) and skips every token that extends a prefix already found invalid.
import { JsonCursor } from './json-grammar.js';

/** Masks kept per table (all processors over one tokenizer share them); each is vocabSize / 8 bytes (6.3 KB for GPT-J). */
const MASK_CACHE_SIZE = 512;

/** What the table needs of a tokenizer: the text of one token, and which ids are special (never JSON text). */
export interface JsonTokenSource {
  decode(ids: readonly number[]): string;
  /** Special tokens (<|endoftext|>, added tokens): their text is not what they mean, so they are never allowed. */
  readonly specialTokens?: ReadonlyMap<string, number>;
}

export class JsonTokenTable {
  /** Bytes of token id: bytes[start[id] .. start[id + 1]); empty for ids that are never allowed. */
  readonly bytes: Uint8Array;
  readonly start: Uint32Array;
  /** Allowed-able ids in byte order, and the length of the prefix each shares with the one before it. */
  private readonly sorted: Int32Array;
  private readonly lcp: Int32Array;
  private readonly maxLength: number;
  /** Least recently used first: the allowed-token bitset of each automaton state seen (with its grammar options). */
  private readonly masks = new Map<string, Uint32Array>();

  /**
   * `vocabSize` ids (the model's logits width). A token's bytes are the UTF-8 of its decoded text: a token that
   * holds part of a character decodes to U+FFFD, whose bytes the automaton treats like the original ones (any
   * byte >= 0x80 is string content and nothing else), so the mask is the same as over the raw bytes.
   */
  constructor(
    tokenizer: JsonTokenSource,
    readonly vocabSize: number,
  ) {
    const special = new Set(tokenizer.specialTokens?.values() ?? []);
    const utf8 = new TextEncoder();
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let id = 0; id < vocabSize; id++) {
      let piece = new Uint8Array(0);
      if (!special.has(id)) {
        try {
          piece = utf8.encode(tokenizer.decode([id]));
        } catch {
          // not a token of this tokenizer (a hole in its ids, or a logit beyond its vocabulary): never allowed
        }
      }
      pieces.push(piece);
      total += piece.length;
    }
    this.bytes = new Uint8Array(total);
    this.start = new Uint32Array(vocabSize + 1);
    for (let id = 0, p = 0; id < vocabSize; id++) {
      this.bytes.set(pieces[id]!, p);
      p += pieces[id]!.length;
      this.start[id + 1] = p;
    }
    const ids = pieces.flatMap((b, id) => (b.length > 0 ? [id] : []));
    ids.sort((a, b) => compareBytes(pieces[a]!, pieces[b]!));
    this.sorted = Int32Array.from(ids);
    this.lcp = new Int32Array(ids.length);
    for (let k = 1; k < ids.length; k++) this.lcp[k] = commonPrefix(pieces[ids[k - 1]!]!, pieces[ids[k]!]!);
    this.maxLength = pieces.reduce((m, b) => Math.max(m, b.length), 0);
  }

  /** Feeds token id's bytes to the cursor; false if they cannot extend its text (or the id is never allowed). */
  advance(cursor: JsonCursor, id: number): boolean {
    const from = this.start[id]!;
    const to = this.start[id + 1]!;
    if (from === to) return false;
    for (let p = from; p < to; p++) if (!cursor.step(this.bytes[p]!)) return false;
    return true;
  }

  /** Bit id is set for every token whose bytes can follow the cursor's text; cached per state (do not modify). */
  maskFor(cursor: JsonCursor): Uint32Array {
    const { root, maxDepth, maxWhitespace } = cursor.options;
    const key = `${root},${maxDepth},${maxWhitespace}|${cursor.stateKey}`;
    let mask = this.masks.get(key);
    if (mask) {
      this.masks.delete(key); // re-inserted below: most recently used last
    } else {
      if (this.masks.size >= MASK_CACHE_SIZE) this.masks.delete(this.masks.keys().next().value!);
      mask = new Uint32Array(Math.ceil(this.vocabSize / 32));
      this.fillMask(cursor, mask);
    }
    this.masks.set(key, mask);
    return mask;
  }

  private fillMask(cursor: JsonCursor, allowed: Uint32Array): void {
    const { sorted, lcp, bytes, start } = this;
    // at[k]: the state after the first k bytes of the current token (at[0] is the cursor itself)
    const at = Array.from({ length: this.maxLength + 1 }, () => new JsonCursor(cursor.options));
    at[0]!.copyFrom(cursor);
    const work = new JsonCursor(cursor.options);
    let dead = Infinity; // the previous token's first invalid byte: its prefix up to there is invalid
    for (let k = 0; k < sorted.length; k++) {
      const id = sorted[k]!;
      let p = lcp[k]!;
      if (p > dead) continue; // shares the invalid prefix
      const base = start[id]!;
      const len = start[id + 1]! - base;
      work.copyFrom(at[p]!);
      dead = Infinity;
      for (; p < len; p++) {
        if (!work.step(bytes[base + p]!)) {
          dead = p;
          break;
        }
        at[p + 1]!.copyFrom(work);
      }
      if (dead === Infinity) allowed[id >>> 5]! |= 1 << (id & 31);
    }
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
