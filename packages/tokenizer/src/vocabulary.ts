import { byteToChar, charToByte } from './byte-unicode.js';
import { TokenizerLoadError, UnknownTokenIdError } from './errors.js';
import { MergeTable } from './merge-table.js';

/** A token matched literally in text (when allowed) and decoded to its content: <|endoftext|>, added tokens. */
export interface SpecialToken {
  readonly content: string;
  readonly id: number;
}

/**
 * Everything the encoder and decoder need, in flat arrays: the bytes of each id, the ids of the 256
 * single-byte tokens, the merge rules and the special tokens. Ids may have holes (decode rejects them).
 */
export class Vocabulary {
  /** Largest id + 1. */
  readonly size: number;
  /** Bytes of token t are tokenBytes[tokenStart[t] .. tokenStart[t + 1]). */
  readonly tokenBytes: Uint8Array;
  readonly tokenStart: Uint32Array;
  /** 1 where an id is a token. */
  readonly known: Uint8Array;
  /** byteTokens[b] is the id of the token that is the single byte b. */
  readonly byteTokens: Int32Array;
  readonly merges: MergeTable;
  readonly specials: ReadonlyMap<string, number>;
  readonly eosTokenId: number;

  constructor(opts: {
    tokenBytes: Uint8Array;
    tokenStart: Uint32Array;
    known: Uint8Array;
    byteTokens: Int32Array;
    merges: MergeTable;
    specials: readonly SpecialToken[];
    eosToken: string;
  }) {
    this.size = opts.known.length;
    this.tokenBytes = opts.tokenBytes;
    this.tokenStart = opts.tokenStart;
    this.known = opts.known;
    this.byteTokens = opts.byteTokens;
    this.merges = opts.merges;
    this.specials = new Map(opts.specials.map((s) => [s.content, s.id]));
    const eos = this.specials.get(opts.eosToken);
    if (eos === undefined) throw new TokenizerLoadError(`End-of-text token ${JSON.stringify(opts.eosToken)} is not in the vocabulary`);
    this.eosTokenId = eos;
  }

  /** Throws UnknownTokenIdError (naming `position`, the index in the caller's list) unless id is a token. */
  checkId(id: unknown, position: number): asserts id is number {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= this.size || this.known[id] === 0) {
      throw new UnknownTokenIdError(id, position, this.size);
    }
  }

  /** Bytes of one token id (a view, do not modify). */
  bytesOf(id: number): Uint8Array {
    return this.tokenBytes.subarray(this.tokenStart[id]!, this.tokenStart[id + 1]!);
  }
}

const utf8 = new TextEncoder();

/**
 * Builds a vocabulary from the Hugging Face files: `vocab` maps byte-level spellings to ids (vocab.json or
 * tokenizer.json's model.vocab), `merges` lists the merge rules in rank order, `specials` are the added
 * tokens (their content is plain text, not byte-level spelled), `eosToken` names the end-of-text token.
 */
export function vocabularyFromFiles(
  vocab: Record<string, number>,
  merges: readonly (readonly [string, string])[],
  specials: readonly SpecialToken[],
  eosToken: string,
  source: string,
): Vocabulary {
  const checkId = (id: unknown, what: string): number => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 1 << 24) {
      throw new TokenizerLoadError(`${source}: ${what} has id ${String(id)}, expected an integer 0..${(1 << 24) - 1}`);
    }
    return id;
  };
  // Each id's bytes: a byte-level spelling (one character per byte) or, for a special token, its UTF-8.
  const spelled: (string | undefined)[] = [];
  const specialBytes = new Map<number, Uint8Array>();
  const specialContents = new Set(specials.map((s) => s.content));
  for (const [token, rawId] of Object.entries(vocab)) {
    const id = checkId(rawId, `token ${JSON.stringify(token)}`);
    if (specialContents.has(token)) continue; // e.g. "<|endoftext|>": bytes from its content below
    for (let k = 0; k < token.length; k++) {
      if (!(charToByte[token.charCodeAt(k)]! >= 0)) {
        throw new TokenizerLoadError(`${source}: token ${JSON.stringify(token)} is not spelled in the byte-level alphabet`);
      }
    }
    spelled[id] = token;
  }
  for (const s of specials) {
    const id = checkId(s.id, `special token ${JSON.stringify(s.content)}`);
    spelled[id] = undefined;
    specialBytes.set(id, utf8.encode(s.content));
  }
  const size = Math.max(spelled.length, ...[...specialBytes.keys()].map((id) => id + 1));
  const known = new Uint8Array(size);
  const tokenStart = new Uint32Array(size + 1);
  let total = 0;
  for (let id = 0; id < size; id++) {
    tokenStart[id] = total;
    const length = spelled[id]?.length ?? specialBytes.get(id)?.length;
    if (length !== undefined) {
      known[id] = 1;
      total += length;
    }
  }
  tokenStart[size] = total;
  const tokenBytes = new Uint8Array(total);
  for (let id = 0; id < size; id++) {
    const token = spelled[id];
    if (token !== undefined) for (let k = 0; k < token.length; k++) tokenBytes[tokenStart[id]! + k] = charToByte[token.charCodeAt(k)]!;
    else if (known[id]) tokenBytes.set(specialBytes.get(id)!, tokenStart[id]!);
  }

  const byteTokens = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = vocab[byteToChar[b]!];
    if (id === undefined) throw new TokenizerLoadError(`${source}: no token for byte ${b} (${JSON.stringify(byteToChar[b])})`);
    byteTokens[b] = id;
  }
  const table = new MergeTable(merges.length);
  merges.forEach(([left, right], rank) => {
    const l = vocab[left];
    const r = vocab[right];
    const m = vocab[left + right];
    if (l === undefined || r === undefined || m === undefined) {
      throw new TokenizerLoadError(
        `${source}: merge ${rank + 1} (${JSON.stringify(left)} ${JSON.stringify(right)}) uses a token that is not in the vocabulary`,
      );
    }
    table.add(l, r, rank, m);
  });
  return new Vocabulary({ tokenBytes, tokenStart, known, byteTokens, merges: table, specials, eosToken });
}
