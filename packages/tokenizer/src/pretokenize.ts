import { HIGH_SURROGATE, LETTER, NUMBER, OTHER, PYTHON_WHITESPACE, SPACE, astralClass, bmpClasses } from './char-classes.js';

const S = `[${PYTHON_WHITESPACE}]`;
const NOT_S = `[^${PYTHON_WHITESPACE}]`;
/**
 * GPT-2's pre-tokenization pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
 * with \s meaning what it means in Python's `regex` module (see PYTHON_WHITESPACE), as GPT-2 and Hugging Face
 * run it. The scanner below is its exact twin.
 */
export const GPT2_SPLIT_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${PYTHON_WHITESPACE}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})|${S}+`,
  'gu',
);

/**
 * Class of the character at text[i] (i < end), plus 8 when it is a surrogate pair (two code units).
 * A lone surrogate is OTHER, as the `u` regex sees it.
 */
function classAt(table: Uint8Array, text: string, i: number, end: number): number {
  const cls = table[text.charCodeAt(i)]!;
  if (cls !== HIGH_SURROGATE) return cls;
  if (i + 1 < end) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) {
      return astralClass(text.charCodeAt(i), lo) | 8;
    }
  }
  return OTHER;
}

/** End of the run of characters of class `cls` starting at i (LETTER or NUMBER). */
function runEnd(table: Uint8Array, text: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const c = table[text.charCodeAt(i)]!;
    if (c === cls) i++;
    else if (c === HIGH_SURROGATE) {
      const k = classAt(table, text, i, end);
      if ((k & 7) !== cls) break;
      i += k & 8 ? 2 : 1;
    } else break;
  }
  return i;
}

/** End of a run of characters that are neither letters, numbers nor whitespace, starting at i. */
function otherRunEnd(table: Uint8Array, text: string, i: number, end: number): number {
  while (i < end) {
    const c = table[text.charCodeAt(i)]!;
    if (c === OTHER) i++;
    else if (c === HIGH_SURROGATE) {
      const k = classAt(table, text, i, end);
      if ((k & 7) !== OTHER) break;
      i += k & 8 ? 2 : 1;
    } else break;
  }
  return i;
}

/**
 * End (exclusive) of the pre-token that starts at text[i], for i < end: the match GPT2_SPLIT_PATTERN
 * finds at i when matching text.slice(0, end). Alternatives are tried in the pattern's order:
 *   contractions ('s 't 're 've 'm 'll 'd, lower case only), then an optional single space (U+0020) before
 *   a run of letters, of numbers, or of other characters; then whitespace, where `\s+(?!\S)` leaves the
 *   last whitespace character of a run to the pre-token after it (unless the run ends the text).
 */
export function pieceEnd(text: string, i: number, end: number): number {
  const table = bmpClasses();
  const c = text.charCodeAt(i);
  if (c === 0x27 && i + 1 < end) {
    const d = text.charCodeAt(i + 1);
    if (d === 0x73 || d === 0x74 || d === 0x6d || d === 0x64) return i + 2; // 's 't 'm 'd
    if (i + 2 < end) {
      const e = text.charCodeAt(i + 2);
      if ((e === 0x65 && (d === 0x72 || d === 0x76)) || (d === 0x6c && e === 0x6c)) return i + 3; // 're 've 'll
    }
  }
  let j = i;
  let cls = classAt(table, text, i, end);
  if (c === 0x20 && i + 1 < end) {
    const next = classAt(table, text, i + 1, end);
    if ((next & 7) !== SPACE) {
      j = i + 1;
      cls = next;
    }
  }
  const width = cls & 8 ? 2 : 1;
  switch (cls & 7) {
    case LETTER:
      return runEnd(table, text, j + width, end, LETTER);
    case NUMBER:
      return runEnd(table, text, j + width, end, NUMBER);
    case OTHER:
      return otherRunEnd(table, text, j + width, end);
    default: {
      // SPACE (whitespace is all in the BMP, so j === i here)
      let k = i + 1;
      while (k < end && table[text.charCodeAt(k)] === SPACE) k++;
      if (k === end || k - i === 1) return k;
      return k - 1;
    }
  }
}

/** All pre-tokens of text, in order (for tests and tools; the encoder walks pieceEnd directly). */
export function pretokenize(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const j = pieceEnd(text, i, text.length);
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}
