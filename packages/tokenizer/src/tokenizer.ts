import { gpt2Vocabulary } from './gpt2-vocabulary.js';
import { IdBuffer } from './id-buffer.js';
import { hasOwnTokenizer, loadVocabularyFromDirectory } from './load-directory.js';
import { checkFiles, vocabularyFromTexts, type TokenizerFiles } from './tokenizer-files.js';
import { PieceEncoder } from './piece-encoder.js';
import { pieceEnd } from './pretokenize.js';
import { SpecialTokens, type EncodeOptions } from './special-tokens.js';
import { SpecialTokenError } from './errors.js';
import { Utf8StreamDecoder, type StreamDecoder } from './stream-decoder.js';
import type { Vocabulary } from './vocabulary.js';

/** encodeWithOffsets() result: offsets[k] = [start, end) of ids[k] in the input, in UTF-16 code units. */
export interface EncodingWithOffsets {
  ids: number[];
  offsets: [number, number][];
}

let gptjTokenizer: Tokenizer | undefined;

/** decode() keeps a byte buffer of up to this size between calls. */
const MAX_DECODE_SCRATCH = 1 << 20;

/**
 * Byte-level BPE tokenizer of the GPT-2 family (GPT-2, GPT-J, GPT-Neo...): the ids of GPT-2's own encoder and
 * Hugging Face's GPT2Tokenizer, which are gpt-tokenizer's and js-tiktoken's except next to U+0085 or U+FEFF
 * (they split on JavaScript's \s; see README).
 * Instances are immutable apart from internal caches; share them.
 */
export class Tokenizer {
  /** Largest token id + 1 (50400 for GPT-J: 50257 GPT-2 tokens and 143 extratokens). */
  readonly vocabSize: number;
  /** Id of the end-of-text token (50256 for GPT-J). */
  readonly eosTokenId: number;
  private readonly vocab: Vocabulary;
  private readonly pieces: PieceEncoder;
  private readonly special: SpecialTokens;
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private scratch = new Uint8Array(1 << 12);
  private readonly ids = new IdBuffer();

  /** Use Tokenizer.gptj() or Tokenizer.fromDirectory(). */
  private constructor(vocab: Vocabulary) {
    this.vocab = vocab;
    this.vocabSize = vocab.size;
    this.eosTokenId = vocab.eosTokenId;
    this.pieces = new PieceEncoder(vocab);
    this.special = new SpecialTokens(vocab.specials);
  }

  /** The GPT-J tokenizer from the bundled vocabulary; no files needed. Returns a shared instance. */
  static gptj(): Tokenizer {
    gptjTokenizer ??= new Tokenizer(gpt2Vocabulary());
    return gptjTokenizer;
  }

  /**
   * Loads a Hugging Face tokenizer directory of the GPT-2 family: tokenizer.json, or vocab.json + merges.txt,
   * with added_tokens.json, special_tokens_map.json and tokenizer_config.json when present.
   * Throws TokenizerLoadError naming the file and what is wrong.
   */
  static async fromDirectory(dir: string): Promise<Tokenizer> {
    return new Tokenizer(await loadVocabularyFromDirectory(dir));
  }

  /**
   * The tokenizer of a Hugging Face model directory: its own files when it has tokenizer.json or vocab.json
   * (fromDirectory), else the bundled GPT-J vocabulary (gptj()), which GPT-J checkpoints without tokenizer files
   * share. Throws TokenizerLoadError when `dir` is not a directory or its tokenizer files are bad.
   */
  static async forModelDirectory(dir: string): Promise<Tokenizer> {
    return (await hasOwnTokenizer(dir)) ? Tokenizer.fromDirectory(dir) : Tokenizer.gptj();
  }

  /**
   * Builds a tokenizer from the text of a Hugging Face tokenizer directory's files held in memory (fetched,
   * bundled...): { 'vocab.json', 'merges.txt' } or { 'tokenizer.json' }, with 'added_tokens.json',
   * 'special_tokens_map.json' and 'tokenizer_config.json' when there are any. The same checks as
   * fromDirectory(); errors name the file. Synchronous.
   */
  static fromFiles(files: TokenizerFiles): Tokenizer {
    return new Tokenizer(vocabularyFromTexts(checkFiles(files), (name) => name, 'fromFiles'));
  }

  /** Special token strings and their ids (<|endoftext|> and the added tokens). */
  get specialTokens(): ReadonlyMap<string, number> {
    return this.vocab.specials;
  }

  /**
   * Token ids of text. Special tokens written in the text are ordinary text unless allowed by
   * opts.allowedSpecial; opts.disallowedSpecial makes their presence a SpecialTokenError.
   */
  encode(text: string, opts?: EncodeOptions): number[] {
    checkText(text, 'encode');
    const { allowed } = this.policy(text, opts);
    const out = this.ids;
    out.length = 0;
    if (allowed === null) {
      this.pieces.encode(text, 0, text.length, out);
      return out.toArray();
    }
    let start = 0;
    allowed.lastIndex = 0;
    for (let m = allowed.exec(text); m !== null; m = allowed.exec(text)) {
      this.pieces.encode(text, start, m.index, out);
      out.push(this.vocab.specials.get(m[0])!);
      start = m.index + m[0].length;
    }
    this.pieces.encode(text, start, text.length, out);
    return out.toArray();
  }

  /** encode() of each text, with the same options. */
  encodeBatch(texts: readonly string[], opts?: EncodeOptions): number[][] {
    if (!Array.isArray(texts)) throw new TypeError(`encodeBatch: texts must be an array of strings, got ${typeof texts}`);
    return texts.map((t) => this.encode(t, opts));
  }

  /**
   * encode() plus each token's span [start, end) in text, in UTF-16 code units (text.slice(start, end)).
   * A token holding only some of a character's UTF-8 bytes gets the span of the whole character, so the
   * tokens that share a character (e.g. the two halves of an emoji) have the same or overlapping spans;
   * spans are never empty and never go backwards. A lone surrogate is one character (encoded as U+FFFD).
   */
  encodeWithOffsets(text: string, opts?: EncodeOptions): EncodingWithOffsets {
    checkText(text, 'encodeWithOffsets');
    const result: EncodingWithOffsets = { ids: [], offsets: [] };
    const { allowed } = this.policy(text, opts);
    let start = 0;
    if (allowed !== null) {
      allowed.lastIndex = 0;
      for (let m = allowed.exec(text); m !== null; m = allowed.exec(text)) {
        this.offsetsOfOrdinary(text, start, m.index, result);
        result.ids.push(this.vocab.specials.get(m[0])!);
        result.offsets.push([m.index, m.index + m[0].length]);
        start = m.index + m[0].length;
      }
    }
    this.offsetsOfOrdinary(text, start, text.length, result);
    return result;
  }

  /** Number of tokens encode() would return. */
  countTokens(text: string, opts?: EncodeOptions): number {
    checkText(text, 'countTokens');
    return this.countUpTo(text, Infinity, opts);
  }

  /**
   * The token count of text if it is at most `limit`, else false. Stops encoding as soon as the count
   * passes the limit, so a short limit on a long text is cheap.
   */
  isWithinTokenLimit(text: string, limit: number, opts?: EncodeOptions): false | number {
    checkText(text, 'isWithinTokenLimit');
    if (typeof limit !== 'number' || !(limit >= 0) || !(Number.isInteger(limit) || limit === Infinity)) {
      throw new RangeError(`isWithinTokenLimit: limit must be a non-negative integer, got ${String(limit)}`);
    }
    const n = this.countUpTo(text, limit, opts);
    return n <= limit ? n : false;
  }

  /**
   * Text of the ids (special tokens decode to their strings). Bytes that do not form valid UTF-8 (a
   * character cut off at either end) decode to U+FFFD. Throws UnknownTokenIdError for an id that is not a token.
   */
  decode(ids: readonly number[] | ArrayLike<number>): string {
    const vocab: Vocabulary = this.vocab;
    const start = vocab.tokenStart;
    const n = ids.length;
    let total = 0;
    for (let k = 0; k < n; k++) {
      const id = ids[k]!;
      if (typeof id !== 'number' || vocab.known[id] !== 1) vocab.checkId(id, k); // throws unless a token
      total += start[id + 1]! - start[id]!;
    }
    // Reuse one buffer for the bytes, but not a huge one (it would stay allocated with the tokenizer).
    if (this.scratch.length < total && total <= MAX_DECODE_SCRATCH) this.scratch = new Uint8Array(MAX_DECODE_SCRATCH);
    const buf = total <= this.scratch.length ? this.scratch : new Uint8Array(total);
    const bytes = vocab.tokenBytes;
    let p = 0;
    for (let k = 0; k < n; k++) {
      const id = ids[k]!;
      for (let b = start[id]!, e = start[id + 1]!; b < e; b++) buf[p++] = bytes[b]!;
    }
    return this.decoder.decode(buf.subarray(0, total));
  }

  /** A decoder that takes ids one at a time and returns only complete characters (see StreamDecoder). */
  createStreamDecoder(): StreamDecoder {
    return new Utf8StreamDecoder(this.vocab);
  }

  /** Resolves the options and enforces disallowedSpecial on text. */
  private policy(text: string, opts: EncodeOptions | undefined) {
    const policy = this.special.policy(opts);
    if (policy.disallowed !== null) {
      const m = policy.disallowed.exec(text);
      if (m !== null) throw new SpecialTokenError(m[0], m.index, this.vocab.specials.get(m[0])!);
    }
    return policy;
  }

  private countUpTo(text: string, limit: number, opts: EncodeOptions | undefined): number {
    const { allowed } = this.policy(text, opts);
    if (allowed === null) return this.pieces.count(text, 0, text.length, limit);
    let n = 0;
    let start = 0;
    allowed.lastIndex = 0;
    for (let m = allowed.exec(text); m !== null && n <= limit; m = allowed.exec(text)) {
      n += this.pieces.count(text, start, m.index, limit - n) + 1;
      start = m.index + m[0].length;
    }
    if (n <= limit) n += this.pieces.count(text, start, text.length, limit - n);
    return n;
  }

  /** Appends ids and spans of the ordinary text text[start..end) to result. */
  private offsetsOfOrdinary(text: string, start: number, end: number, result: EncodingWithOffsets): void {
    const tokenStart = this.vocab.tokenStart;
    for (let i = start; i < end; ) {
      const j = pieceEnd(text, i, end);
      const ids = this.pieces.piece(text, i, j);
      // Walk the piece's characters alongside the tokens' bytes: `unit` is the first code unit of the
      // current character, [charByte, charByte + charBytes) its bytes within the piece.
      let unit = i;
      let units = charUnits(text, unit, j);
      let charByte = 0;
      let charBytes = utf8Length(text, unit, units);
      let byte = 0;
      const count = typeof ids === 'number' ? 1 : ids.length;
      for (let k = 0; k < count; k++) {
        const id = typeof ids === 'number' ? ids : ids[k]!;
        const last = byte + tokenStart[id + 1]! - tokenStart[id]! - 1; // the token's last byte
        while (charByte + charBytes <= byte) {
          charByte += charBytes;
          unit += units;
          units = charUnits(text, unit, j);
          charBytes = utf8Length(text, unit, units);
        }
        const from = unit;
        while (charByte + charBytes <= last) {
          charByte += charBytes;
          unit += units;
          units = charUnits(text, unit, j);
          charBytes = utf8Length(text, unit, units);
        }
        result.ids.push(id);
        result.offsets.push([from, unit + units]);
        byte = last + 1;
      }
      i = j;
    }
  }
}

function checkText(text: unknown, method: string): asserts text is string {
  if (typeof text !== 'string') throw new TypeError(`${method}: text must be a string, got ${text === null ? 'null' : typeof text}`);
}

/** Code units of the character at text[i]: 2 for a surrogate pair, else 1. */
function charUnits(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

/** UTF-8 length of the character at text[i] that spans `units` code units (a lone surrogate: 3, as U+FFFD). */
function utf8Length(text: string, i: number, units: number): number {
  if (units === 2) return 4;
  const c = text.charCodeAt(i);
  return c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
}
