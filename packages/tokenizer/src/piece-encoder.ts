import { bytePairMerge } from './byte-pair-merge.js';
import type { IdBuffer } from './id-buffer.js';
import { PieceCache } from './piece-cache.js';
import { pieceEnd } from './pretokenize.js';
import type { Vocabulary } from './vocabulary.js';

/** Longer pieces are not cached: they are rare (mostly unique runs of CJK text) and take more room. */
const MAX_CACHED_PIECE = 48;
/** Longer pieces get a buffer of their own for their bytes, so a huge one does not pin memory. */
const MAX_SCRATCH_BYTES = 1 << 16;

/**
 * Encodes ordinary text (no special tokens): splits it into pre-tokens with the GPT-2 scanner, and turns
 * each pre-token into ids, from a cache keyed by the pre-token's characters or by BPE over its UTF-8 bytes.
 */
export class PieceEncoder {
  private readonly cache = new PieceCache();
  /** Scratch: the byte-token ids of the current piece. */
  private readonly parts = new Int32Array(MAX_SCRATCH_BYTES);
  private readonly merged: number[] = [];

  constructor(private readonly vocab: Vocabulary) {}

  /** Appends the ids of text[start..end) to out. */
  encode(text: string, start: number, end: number, out: IdBuffer): void {
    const byteTokens = this.vocab.byteTokens;
    const cache = this.cache;
    for (let i = start; i < end; ) {
      const j = pieceEnd(text, i, end);
      const c = text.charCodeAt(i);
      if (j === i + 1 && c < 0x80) {
        out.push(byteTokens[c]!); // a lone ASCII character is always one byte token
      } else if (j - i > MAX_CACHED_PIECE) {
        const merged = this.merged;
        merged.length = 0;
        this.merge(text, i, j, merged);
        out.pushAll(merged);
      } else {
        const h = PieceCache.hash(text, i, j);
        const slot = cache.find(text, i, j, h);
        if (slot < 0) {
          const merged = this.merged;
          merged.length = 0;
          this.merge(text, i, j, merged);
          cache.add(text, i, j, h, merged);
          out.pushAll(merged);
        } else {
          const id = cache.singleAt(slot);
          if (id >= 0) out.push(id);
          else out.pushAll(cache.multiAt(slot));
        }
      }
      i = j;
    }
  }

  /** Number of tokens of text[start..end), or the first count above `limit` once the count passes it. */
  count(text: string, start: number, end: number, limit: number): number {
    let n = 0;
    for (let i = start; i < end && n <= limit; ) {
      const j = pieceEnd(text, i, end);
      const ids = this.piece(text, i, j);
      n += typeof ids === 'number' ? 1 : ids.length;
      i = j;
    }
    return n;
  }

  /** The ids of the single pre-token text[i..j): one id as a number, several as an array (do not modify). */
  piece(text: string, i: number, j: number): number | readonly number[] {
    if (j === i + 1 && text.charCodeAt(i) < 0x80) return this.vocab.byteTokens[text.charCodeAt(i)]!;
    const out: number[] = [];
    if (j - i > MAX_CACHED_PIECE) this.merge(text, i, j, out);
    else {
      const h = PieceCache.hash(text, i, j);
      const slot = this.cache.find(text, i, j, h);
      if (slot >= 0) {
        const id = this.cache.singleAt(slot);
        return id >= 0 ? id : this.cache.multiAt(slot);
      }
      this.merge(text, i, j, out);
      this.cache.add(text, i, j, h, out);
    }
    return out.length === 1 ? out[0]! : out;
  }

  /** BPE of text[i..j), appended to out. */
  private merge(text: string, i: number, j: number, out: number[]): void {
    const parts = 3 * (j - i) <= MAX_SCRATCH_BYTES ? this.parts : new Int32Array(3 * (j - i));
    bytePairMerge(this.vocab.merges, parts, utf8ByteTokens(text, i, j, this.vocab.byteTokens, parts), out);
  }
}

/**
 * Writes the ids of the single-byte tokens (bt[byte]) of text[i..j)'s UTF-8 encoding into parts (room for
 * 3 per code unit) and returns their count. A lone surrogate becomes U+FFFD (EF BF BD), as TextEncoder does.
 */
function utf8ByteTokens(text: string, i: number, j: number, bt: Int32Array, parts: Int32Array): number {
  let n = 0;
  for (let k = i; k < j; k++) {
    let c = text.charCodeAt(k);
    if (c < 0x80) {
      parts[n++] = bt[c]!;
      continue;
    }
    if (c < 0x800) {
      parts[n++] = bt[0xc0 | (c >> 6)]!;
      parts[n++] = bt[0x80 | (c & 0x3f)]!;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = k + 1 < j ? text.charCodeAt(k + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        parts[n++] = bt[0xf0 | (cp >> 18)]!;
        parts[n++] = bt[0x80 | ((cp >> 12) & 0x3f)]!;
        parts[n++] = bt[0x80 | ((cp >> 6) & 0x3f)]!;
        parts[n++] = bt[0x80 | (cp & 0x3f)]!;
        k++;
        continue;
      }
      c = 0xfffd;
    }
    parts[n++] = bt[0xe0 | (c >> 12)]!;
    parts[n++] = bt[0x80 | ((c >> 6) & 0x3f)]!;
    parts[n++] = bt[0x80 | (c & 0x3f)]!;
  }
  return n;
}
