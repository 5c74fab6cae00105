import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { Tokenizer } from './index.js';
import { fixtureFiles, fixtureMergeLines, wellFormed } from './test-support/fixture-files.js';

// A slow, obviously correct GPT-2 encoder, written from the algorithm and run over vocab.json + merges.txt
// (not the bundled data): a pre-tokenizer that tries the pattern's alternatives one by one on code points,
// and a BPE that repeatedly merges every occurrence of the lowest-ranked pair, as GPT-2's encoder.py does.

/** Python regex's \s (Unicode White_Space), by code point, as scripts/gpt2-reference-encoder.py enumerated it. */
const SPACE = new Set([9, 10, 11, 12, 13, 32, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
for (let c = 0x2000; c <= 0x200a; c++) SPACE.add(c);
const isS = (c: string) => SPACE.has(c.codePointAt(0)!);
const isL = (c: string) => /^\p{L}$/u.test(c);
const isN = (c: string) => /^\p{N}$/u.test(c);
const isOther = (c: string) => !isS(c) && !isL(c) && !isN(c);

/** Length in code points of the match of 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ at cs[i]. */
function matchLength(cs: string[], i: number): number {
  for (const c of ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]) if (cs.slice(i, i + c.length).join('') === c) return c.length;
  for (const cls of [isL, isN, isOther]) {
    let j = i;
    if (cs[j] === ' ' && j + 1 < cs.length && cls(cs[j + 1]!)) j++; // ' ?' takes the space when it can
    if (j < cs.length && cls(cs[j]!)) {
      while (j < cs.length && cls(cs[j]!)) j++;
      return j - i;
    }
  }
  let k = i;
  while (k < cs.length && isS(cs[k]!)) k++;
  for (let e = k; e > i; e--) if (e === cs.length || isS(cs[e]!)) return e - i; // \s+(?!\S), backtracking
  if (k > i) return k - i; // \s+
  throw new Error(`no alternative matches at ${i}`);
}

function naivePretokenize(text: string): string[] {
  const cs = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < cs.length; ) {
    const n = matchLength(cs, i);
    pieces.push(cs.slice(i, i + n).join(''));
    i += n;
  }
  return pieces;
}

/** GPT-2's bytes_to_unicode: printable Latin-1 bytes are themselves, the others 256, 257, ... in order. */
const byteChar: string[] = [];
for (let b = 0, extra = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  byteChar[b] = String.fromCharCode(printable ? b : 256 + extra++);
}
const vocab = new Map(Object.entries(JSON.parse(fixtureFiles['vocab.json']) as Record<string, number>));
const ranks = new Map(fixtureMergeLines.map((line, rank) => [line, rank]));
const utf8 = new TextEncoder();

function naiveBpe(piece: string): number[] {
  let word = [...utf8.encode(piece)].map((b) => byteChar[b]!);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let k = 0; k + 1 < word.length; k++) {
      const rank = ranks.get(`${word[k]} ${word[k + 1]}`);
      if (rank !== undefined && rank < bestRank) [best, bestRank] = [k, rank];
    }
    if (best < 0) break;
    const [a, b] = [word[best]!, word[best + 1]!];
    const merged: string[] = [];
    for (let k = 0; k < word.length; ) {
      if (k + 1 < word.length && word[k] === a && word[k + 1] === b) {
        merged.push(a + b);
        k += 2;
      } else merged.push(word[k++]!);
    }
    word = merged;
  }
  return word.map((t) => vocab.get(t)!);
}

/** The reference: lone surrogates become U+FFFD first (as TextEncoder makes them), then split and merge. */
const referenceEncode = (text: string) => naivePretokenize(wellFormed(text)).flatMap(naiveBpe);

/** Pieces of text that stress the pattern: every whitespace kind (U+0085, U+FEFF too), contractions, classes, surrogates. */
const PIECES = [
  ' ',
  ' ',
  '  ',
  '\n',
  '\t',
  '\r\n',
  '\u000b',
  '\u0085',
  '\ufeff',
  '\u00a0',
  '\u3000',
  '\u2028',
  '\u2009',
  '\u200b',
  '\u001c',
  '\u180e',
  "'",
  "'s",
  "'t",
  "'re",
  "'ve",
  "'m",
  "'ll",
  "'d",
  "'S",
  "'LL",
  'a',
  'é',
  'Z',
  'the',
  'ing',
  ' the',
  'ß',
  'ǅ',
  '日本',
  '\u0301',
  '1',
  '23',
  '½',
  '٣',
  '²',
  '!',
  '.',
  ',',
  '?!',
  '<|endoftext|>',
  '😀',
  '👨‍👩‍👧',
  '𝐀',
  '𝟏',
  '\ud800',
  '\udc00',
  '\u0000',
  '\ufffd',
];
const texts = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 32 }), // any code point, lone surrogates included
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.string({ maxLength: 48 }), // printable ASCII
);

describe('fuzz: encode and decode', () => {
  const tok = Tokenizer.gptj();
  it("the reference itself gives GPT-2's ids (python-whitespace-ids.json, made by GPT-2's encoder under Python)", () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/python-whitespace-ids.json', import.meta.url), 'utf8')) as {
      cases: { text: string; ids: number[] }[];
    };
    for (const c of fixture.cases) expect(referenceEncode(c.text), JSON.stringify(c.text)).toEqual(c.ids);
  });

  it(
    'encode equals the naive reference encoder; decode(encode(s)) is s with lone surrogates as U+FFFD',
    () => {
      fuzz(
        'tokenizer-encode',
        [texts],
        (text) => {
          const ids = tok.encode(text);
          const want = referenceEncode(text);
          if (ids.length !== want.length || ids.some((id, k) => id !== want[k]))
            throw new Error(`encode ${JSON.stringify(text)}: ${ids} but reference ${want}`);
          const back = tok.decode(ids);
          if (back !== wellFormed(text)) throw new Error(`decode(encode(${JSON.stringify(text)})) is ${JSON.stringify(back)}`);
          return tok.countTokens(text) === ids.length;
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
