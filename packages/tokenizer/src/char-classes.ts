/**
 * Character classes of the GPT-2 split pattern: \p{L}, \p{N}, \s and everything else. The tables are built
 * from the JavaScript engine's own regular expressions, so the hand-written scanner agrees with the
 * pattern under the engine's Unicode version by construction; \s is spelled out as Python's.
 */

/**
 * The characters of \s in Python's `regex` module, which Hugging Face's GPT2Tokenizer and GPT-2's own encoder
 * split with (Unicode White_Space). JavaScript's \s differs on exactly two code points (enumerated by
 * scripts/gpt2-reference-encoder.py): U+0085 (NEL) is whitespace here and not in JS, U+FEFF (BOM) is
 * whitespace in JS and not here. gpt-tokenizer and js-tiktoken use JS's \s, so they differ from GPT-2 there.
 */
export const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
export const OTHER = 0;
export const LETTER = 1;
export const NUMBER = 2;
export const SPACE = 3;
/** BMP table only: a UTF-16 high surrogate (class depends on the unit after it). */
export const HIGH_SURROGATE = 4;

let bmp: Uint8Array | undefined;
/** Supplementary planes in 1024 blocks of 1024 code points: block h holds the code points whose UTF-16 high surrogate is 0xD800 + h. */
const astral: (Uint8Array | undefined)[] = new Array(1024);

/** Marks in table the class of each character of text (one table entry per character, not per code unit). */
function classify(text: string, table: Uint8Array, unitsPerChar: number): void {
  const mark = (re: RegExp, cls: number) => {
    for (const m of text.matchAll(re)) table.fill(cls, m.index / unitsPerChar, (m.index + m[0].length) / unitsPerChar);
  };
  mark(/\p{L}+/gu, LETTER);
  mark(/\p{N}+/gu, NUMBER);
  mark(new RegExp(`[${PYTHON_WHITESPACE}]+`, 'gu'), SPACE);
}

/** Class of every UTF-16 code unit, built on first use (a few ms). Lone low surrogates are OTHER. */
export function bmpClasses(): Uint8Array {
  if (bmp) return bmp;
  const table = new Uint8Array(65536);
  let all = '';
  for (let start = 0; start < 65536; start += 4096) {
    const units: number[] = [];
    // Surrogates stand in as "x" here; their entries are set below.
    for (let c = start; c < start + 4096; c++) units.push(c >= 0xd800 && c <= 0xdfff ? 0x78 : c);
    all += String.fromCharCode(...units);
  }
  classify(all, table, 1);
  table.fill(HIGH_SURROGATE, 0xd800, 0xdc00);
  table.fill(OTHER, 0xdc00, 0xe000);
  bmp = table;
  return table;
}

/**
 * Class of the supplementary-plane character written as the surrogate pair (hi, lo), from a table of its
 * block of 1024 code points built on first use (such characters are rare in text).
 */
export function astralClass(hi: number, lo: number): number {
  const block = hi - 0xd800;
  let table = astral[block];
  if (table === undefined) {
    table = new Uint8Array(1024);
    const units: number[] = [];
    for (let k = 0; k < 1024; k++) units.push(hi, 0xdc00 + k);
    classify(String.fromCharCode(...units), table, 2);
    astral[block] = table;
  }
  return table[lo - 0xdc00]!;
}
