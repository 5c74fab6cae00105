import { byteToChar, charToByte } from './byte-unicode.js';
import { TokenizerLoadError, UnknownTokenIdError } from './errors.js';
import { shown } from './json-file.js';
import { LIMITS } from './limits.js';
import { MergeTable } from './merge-table.js';

/** A token matched literally in text (when allowed) and decoded to its content: <|endoftext|>, added tokens. */
export interface SpecialToken {
  readonly content: string;
  readonly id: number;
  /** The file that gave the token its id, for error messages. */
  readonly file?: string;
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

/** The bytes a byte-level spelled token stands for, or undefined if it is not spelled in that alphabet. */
function spelledBytes(token: string): Uint8Array | undefined {
  const bytes = new Uint8Array(token.length);
  for (let k = 0; k < token.length; k++) {
    const b = charToByte[token.charCodeAt(k)];
    if (b === undefined || b < 0) return undefined;
    bytes[k] = b;
  }
  return bytes;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, k) => x === b[k]);

/**
 * Builds a vocabulary from the Hugging Face files: `vocab` maps byte-level spellings to ids (vocab.json or
 * tokenizer.json's model.vocab), `merges` lists the merge rules in rank order, `specials` are the added
 * tokens (their content is plain text, not byte-level spelled), `eosToken` names the end-of-text token,
 * `files` names the vocabulary and merges files in errors. Every id has one meaning: two tokens with one
 * id, a special token reusing another token's id, or a merge listed twice are refused, since each would make
 * encode() emit an id that decodes to something else (or rank merges differently from GPT-2's encoder).
 */
export function vocabularyFromFiles(
  vocab: ReadonlyMap<string, unknown>,
  merges: readonly (readonly [string, string])[],
  specials: readonly SpecialToken[],
  eosToken: string,
  files: { readonly vocab: string; readonly merges: string },
): Vocabulary {
  // `what` is a function so that the message is only built for a bad id (this runs once per token).
  const checkId = (id: unknown, what: () => string, file: string): number => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= LIMITS.ids) {
      throw new TokenizerLoadError(`${file}: ${what()} has id ${shown(id)}, expected an integer 0..${LIMITS.ids - 1}`);
    }
    return id;
  };
  const checkLength = (token: string, what: string, file: string) => {
    if (token.length > LIMITS.tokenChars) throw new TokenizerLoadError(`${file}: ${what} ${shown(token)} is longer than ${LIMITS.tokenChars} characters`);
    if (token.length === 0) throw new TokenizerLoadError(`${file}: ${what} is empty`);
  };
  const specialContents = new Set(specials.map((s) => s.content));
  // Each id's token in the vocabulary, and each id's bytes (byte-level spelling, or a special's UTF-8).
  const tokenOf: (string | undefined)[] = [];
  const bytesOf: (Uint8Array | undefined)[] = [];
  for (const [token, rawId] of vocab) {
    const id = checkId(rawId, () => `token ${shown(token)}`, files.vocab);
    checkLength(token, 'token', files.vocab);
    if (tokenOf[id] !== undefined) {
      throw new TokenizerLoadError(`${files.vocab}: tokens ${shown(tokenOf[id])} and ${shown(token)} both have id ${id}`);
    }
    tokenOf[id] = token;
    if (specialContents.has(token)) continue; // e.g. "<|endoftext|>": bytes from its content below
    bytesOf[id] = spelledBytes(token);
    if (bytesOf[id] === undefined) throw new TokenizerLoadError(`${files.vocab}: token ${shown(token)} is not spelled in the byte-level alphabet`);
  }
  const specialOf = new Map<number, string>();
  let specialChars = 0;
  for (const s of specials) {
    const file = s.file ?? files.vocab;
    const id = checkId(s.id, () => `special token ${shown(s.content)}`, file);
    checkLength(s.content, 'special token', file);
    if ((specialChars += s.content.length) > LIMITS.specialTokenChars) {
      throw new TokenizerLoadError(`${file}: special tokens of more than ${LIMITS.specialTokenChars} characters in all`);
    }
    if (/\p{Cs}/u.test(s.content)) {
      // its UTF-8 would be U+FFFD's, so it would decode to other text than it encodes from
      throw new TokenizerLoadError(`${file}: special token ${shown(s.content)} holds a lone surrogate, which has no UTF-8`);
    }
    const other = specialOf.get(id);
    if (other !== undefined) throw new TokenizerLoadError(`${file}: special tokens ${shown(other)} and ${shown(s.content)} both have id ${id}`);
    specialOf.set(id, s.content);
    const content = utf8.encode(s.content);
    const token = tokenOf[id];
    // The vocabulary token must stand for the same bytes: "Ġ" spells a space, so it is not the special "Ġ";
    // a token outside the byte-level alphabet is an added token written as is ("<s> ").
    if (token !== undefined && !sameBytes(spelledBytes(token) ?? utf8.encode(token), content)) {
      throw new TokenizerLoadError(`${file}: special token ${shown(s.content)} has id ${id}, which ${files.vocab} gives to token ${shown(token)}`);
    }
    const vocabId = vocab.get(s.content);
    if (vocabId !== undefined && vocabId !== id) {
      throw new TokenizerLoadError(`${file}: special token ${shown(s.content)} has id ${id}, but ${files.vocab} gives it id ${shown(vocabId)}`);
    }
    bytesOf[id] = content;
  }
  const size = bytesOf.length;
  const known = new Uint8Array(size);
  const tokenStart = new Uint32Array(size + 1);
  let total = 0;
  for (let id = 0; id < size; id++) {
    tokenStart[id] = total;
    const bytes = bytesOf[id];
    if (bytes !== undefined) {
      known[id] = 1;
      total += bytes.length;
    }
  }
  tokenStart[size] = total;
  const tokenBytes = new Uint8Array(total);
  for (let id = 0; id < size; id++) if (known[id]) tokenBytes.set(bytesOf[id]!, tokenStart[id]!);

  const byteTokens = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = vocab.get(byteToChar[b]!);
    if (id === undefined) throw new TokenizerLoadError(`${files.vocab}: no token for byte ${b} (${JSON.stringify(byteToChar[b])})`);
    byteTokens[b] = id as number;
  }
  const table = new MergeTable(merges.length);
  merges.forEach(([left, right], rank) => {
    const l = vocab.get(left) as number | undefined;
    const r = vocab.get(right) as number | undefined;
    const m = vocab.get(left + right) as number | undefined;
    const merge = () => `${files.merges}: merge ${rank + 1} (${shown(left)} ${shown(right)})`;
    if (l === undefined || r === undefined || m === undefined) {
      throw new TokenizerLoadError(`${merge()} uses a token that is not in the vocabulary`);
    }
    const earlier = table.find(l, r);
    if (earlier !== -1) throw new TokenizerLoadError(`${merge()} repeats merge ${table.ranks[earlier]! + 1}`);
    table.add(l, r, rank, m);
  });
  return new Vocabulary({ tokenBytes, tokenStart, known, byteTokens, merges: table, specials, eosToken });
}
