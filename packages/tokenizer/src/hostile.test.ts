import { describe, expect, it } from 'vitest';
import { getEncoding } from 'js-tiktoken';
import { Tokenizer } from './index.js';
import { mixedCorpus } from './corpus.js';
import { wellFormed } from './test-support/fixture-files.js';

const tok = Tokenizer.gptj();
const tiktoken = getEncoding('gpt2');

/** Encodes text, checks the round trip, logs and bounds the time (generous: the machine is shared). */
function timed(name: string, text: string, boundMs: number): number[] {
  const t0 = performance.now();
  const ids = tok.encode(text);
  const ms = performance.now() - t0;
  console.log(`${name}: ${(text.length / 1e6).toFixed(2)} M UTF-16 units -> ${ids.length} tokens in ${ms.toFixed(0)} ms`);
  expect(ms).toBeLessThan(boundMs);
  expect(tok.decode(ids)).toBe(wellFormed(text));
  return ids;
}

describe('hostile input: no crash, no superlinear time', () => {
  it('a 1 MB run of spaces', () => {
    timed('1 MB of spaces', ' '.repeat(1_000_000), 10_000);
    timed('1 MB of spaces then a word', ' '.repeat(1_000_000) + 'x', 10_000);
    // same ids as a peer on a shorter run (the peers' merge is quadratic on long pieces)
    expect(tok.encode(' '.repeat(2000) + 'x')).toEqual(tiktoken.encode(' '.repeat(2000) + 'x'));
  }, 30_000);

  it('a 1 MB run of one letter', () => {
    timed('1 MB of "a"', 'a'.repeat(1_000_000), 10_000);
    timed('1 MB of "é"', 'é'.repeat(1_000_000), 10_000);
    timed('1 MB of "😀"', '😀'.repeat(500_000), 10_000);
    for (const s of ['a'.repeat(1500), 'é'.repeat(800), '日'.repeat(500), '😀'.repeat(300), '1'.repeat(1000)]) {
      expect(tok.encode(s)).toEqual(tiktoken.encode(s));
    }
  }, 30_000);

  it('lone surrogates encode as U+FFFD, like TextEncoder', () => {
    const text = '\ud800a\udc00 \ud83d\ud83d\ude00 x\udbff'.repeat(10_000);
    timed('lone surrogates', text, 10_000);
    expect(tok.encode('\ud800')).toEqual(tok.encode('\ufffd'));
    expect(tok.encode(text.slice(0, 2000))).toEqual(tiktoken.encode(text.slice(0, 2000)));
  }, 30_000);

  it('NUL and control characters', () => {
    let text = '';
    for (let k = 0; k < 200_000; k++) text += String.fromCharCode(k % 33 === 32 ? 0x7f : k % 33) + (k % 7 === 0 ? 'ab' : '');
    timed('control characters', text, 10_000);
    expect(tok.encode(text.slice(0, 5000))).toEqual(tiktoken.encode(text.slice(0, 5000)));
  }, 30_000);

  it('a 10 MB string', () => {
    const text = mixedCorpus(1_000_000, 99).repeat(10);
    timed('10 MB mixed corpus (1 MB repeated)', text, 60_000);
  }, 120_000);
});
