import { describe, expect, it } from 'vitest';
import { byteToChar } from './byte-unicode.js';
import { LINEAR_MAX_BYTES, bytePairMerge, mergeHeap, mergeLinear } from './byte-pair-merge.js';
import { readFixtureJson, fixturePath } from '@gptj/test-fixtures';
import { readFileSync } from 'node:fs';
import { gpt2Vocabulary } from './gpt2-vocabulary.js';

/**
 * GPT-2's reference BPE (openai/gpt-2 encoder.py `bpe`), written plainly over the fixture's vocab.json and
 * merges.txt strings: find the lowest-ranked adjacent pair, merge all its occurrences left to right, repeat.
 */
const vocab = readFixtureJson<Record<string, number>>('gpt2-tokenizer', 'vocab.json');
const mergeRanks = new Map<string, number>(
  readFileSync(fixturePath('gpt2-tokenizer', 'merges.txt'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l, rank) => [l, rank]),
);
function referenceBpe(bytes: Uint8Array): number[] {
  let word = [...bytes].map((b) => byteToChar[b]!);
  for (;;) {
    let best: string | undefined;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = mergeRanks.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = `${word[i]} ${word[i + 1]}`;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split(' ');
    const next: string[] = [];
    for (let i = 0; i < word.length; i++) {
      if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
        next.push(a! + b!);
        i++;
      } else next.push(word[i]!);
    }
    word = next;
  }
  return word.map((t) => vocab[t]!);
}

const v = gpt2Vocabulary();
function run(merge: typeof mergeLinear, bytes: Uint8Array): number[] {
  const parts = Int32Array.from(bytes, (b) => v.byteTokens[b]!);
  const out: number[] = [];
  merge(v.merges, parts, parts.length, out);
  return out;
}

/** Deterministic byte strings biased towards real-text bytes so that many merges apply. */
function samples(count: number): Uint8Array[] {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabet = new TextEncoder().encode(' eeetaoinshrdlu  tthe.,\n0123é日本😀');
  return Array.from({ length: count }, () => {
    const n = 1 + Math.floor(next() * 300);
    return Uint8Array.from({ length: n }, () => (next() < 0.05 ? Math.floor(next() * 256) : alphabet[Math.floor(next() * alphabet.length)]!));
  });
}

describe('byte-pair merge', () => {
  it('linear and heap merges both equal the GPT-2 reference BPE', () => {
    for (const bytes of samples(400)) {
      const ref = referenceBpe(bytes);
      if (bytes.length <= LINEAR_MAX_BYTES) expect(run(mergeLinear, bytes)).toEqual(ref);
      expect(run(mergeHeap, bytes)).toEqual(ref);
      const out: number[] = [];
      bytePairMerge(
        v.merges,
        Int32Array.from(bytes, (b) => v.byteTokens[b]!),
        bytes.length,
        out,
      );
      expect(out).toEqual(ref);
    }
  });

  it('merges the bytes of every GPT-2 token back into that one token', () => {
    // So a pre-token equal to a vocabulary entry gets that entry, as tiktoken's whole-piece shortcut assumes.
    const wrong: number[] = [];
    for (let id = 0; id < 50256; id++) {
      const bytes = v.bytesOf(id);
      const got = run(id % 2 && bytes.length <= LINEAR_MAX_BYTES ? mergeLinear : mergeHeap, bytes);
      if (got.length !== 1 || got[0] !== id) wrong.push(id);
    }
    expect(wrong).toEqual([]);
  });

  it('is O(n log n) on long pieces: 300 kB of one byte and of a repeating pattern', () => {
    for (const [name, bytes] of [
      ['"a" x 300k', new Uint8Array(300_000).fill(0x61)],
      ['"ab " x 100k', new TextEncoder().encode('ab '.repeat(100_000))],
    ] as const) {
      const t0 = performance.now();
      const ids = run(mergeHeap, bytes);
      const ms = performance.now() - t0;
      console.log(`heap merge of ${name}: ${ms.toFixed(0)} ms, ${ids.length} tokens`);
      expect(ids.reduce((n, id) => n + v.bytesOf(id).length, 0)).toBe(bytes.length);
      expect(ms).toBeLessThan(15_000);
      expect(run(mergeHeap, bytes.subarray(0, 3000))).toEqual(referenceBpe(bytes.subarray(0, 3000)));
    }
  }, 60_000);
});
