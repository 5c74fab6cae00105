import { describe, expect, it } from 'vitest';
import { mixedCorpus } from './corpus.js';
import { GPT2_SPLIT_PATTERN, pretokenize } from './pretokenize.js';

/** The reference: the GPT-2 pattern run by the engine's regex, as the peers run it. */
function byRegex(text: string): string[] {
  return [...text.matchAll(GPT2_SPLIT_PATTERN)].map((m) => m[0]);
}

function expectSameSplit(text: string): void {
  const ours = pretokenize(text);
  const ref = byRegex(text);
  if (ours.length !== ref.length || ours.some((p, k) => p !== ref[k])) {
    const k = ours.findIndex((p, i) => p !== ref[i]);
    expect({ at: k, ours: ours.slice(k, k + 3), regex: ref.slice(k, k + 3) }).toEqual({ at: -1 });
  }
  expect(ours.join('')).toBe(text);
}

describe('pre-tokenizer scanner vs the GPT-2 regex', () => {
  it('splits hand-picked edge cases identically', () => {
    const cases = [
      '',
      ' ',
      '  ',
      'a',
      ' a',
      '  a',
      '\na',
      ' \na',
      'a  ',
      'a \n',
      'hello world',
      "it's",
      "IT'S",
      "we'll",
      "WE'LL",
      "they're",
      "'re'",
      "'",
      "''s",
      "x''ll",
      "!'s",
      " 's",
      "'sa",
      "'ll've'd'm't",
      "'Ll 'lL",
      '   \n\n\t x',
      ' \u00a0 x',
      '\u3000x',
      'x\u2028\u2029y',
      '\t\t\t',
      'a\r\n\r\nb',
      ' !',
      ' !!a',
      '  !',
      ' 1',
      ' ½',
      '1½²',
      '12345 67',
      'e\u0301\u0302x',
      ' \u0301',
      'x\ud800y',
      '\udc00\ud800',
      '\ud800',
      ' \ud83d\ude00',
      '𝐀𝐁 𝟏𝟐',
      ' 𝒳',
      '👨‍👩‍👧‍👦',
      '\u0000\u0001 \u001b[0m',
      '\u001c\u001d\u001e\u001f \u0085 \ufeff',
      'a\u200bb',
    ];
    for (const c of cases) expectSameSplit(c);
  });

  it('classifies every BMP character as the regex does, alone, in runs, after a space and before whitespace', () => {
    const chars: string[] = [];
    for (let c = 0; c < 0x10000; c++) chars.push(String.fromCharCode(c)); // lone surrogates included
    expectSameSplit(chars.join(''));
    expectSameSplit(chars.map((c) => ` ${c}`).join(''));
    expectSameSplit(chars.map((c) => `${c}${c}  x`).join(''));
    expectSameSplit(chars.map((c) => `'${c}\n`).join(''));
  }, 30_000);

  it('classifies every assigned supplementary-plane code point as the regex does', () => {
    // Planes 1-3 and 14 in full; planes 4-13 (unassigned) and 15-16 (private use) sampled.
    const parts: string[] = [];
    for (let cp = 0x10000; cp <= 0x10ffff; cp++) {
      const plane = cp >> 16;
      if (plane > 3 && plane !== 14 && cp % 61 !== 0) continue;
      parts.push(String.fromCodePoint(cp));
      if (cp % 7 === 0) parts.push(' ');
    }
    expectSameSplit(parts.join(''));
  }, 30_000);

  it('splits a 1 MB mixed corpus identically', () => {
    expectSameSplit(mixedCorpus(1_000_000, 7));
  }, 30_000);
});
