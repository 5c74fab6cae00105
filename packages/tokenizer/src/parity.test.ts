import { describe, expect, it } from 'vitest';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import { miniCodeSamples } from '@gptj/test-fixtures';
import { Tokenizer } from './index.js';
import { mixedCorpus } from './corpus.js';
import { wellFormed } from './test-support/fixture-files.js';

const tok = Tokenizer.gptj();
const tiktoken = getEncoding('gpt2');
/** The peers with special tokens treated as ordinary text, as our default does. */
const peerA = (t: string) => gptTokenizerEncode(t, { disallowedSpecial: new Set() });
const peerB = (t: string) => tiktoken.encode(t, [], []);
/**
 * text with U+0085 and U+FEFF replaced by U+FFFD: the peers split on JavaScript's \s, which differs from
 * GPT-2's (Python's) on exactly those two, so ids are compared on the rest (python-whitespace.test.ts
 * checks those two against GPT-2's own encoder).
 */
const withoutJsWhitespaceDiffs = (text: string) => text.replace(/[\u0085\ufeff]/g, '\ufffd');

/** Hand-picked texts: each line of a category is one case, and the whole list is also encoded joined. */
const HANDPICKED = [
  // prose and contractions in every case
  "Hello world! It's a test. I'm sure we'll see; they've gone, you're late, he'd know, don't.",
  "IT'S WE'LL THEY'VE YOU'RE HE'D I'M DON'T 'S 'T 'RE 'VE 'M 'LL 'D 'Re 'Ll 'lL 's's 'sss ''s",
  'The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX. tHe QuIcK.',
  'Mr. O\'Neil\'s "quoted" text — with an em dash – and an en dash … and ellipsis.',
  // code
  'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
  'const x = { a: [1, 2, 3], "b": null };\n\tif (x?.a?.length >= 3 && !y) { console.log(`${x}`); }\r\n',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }\n',
  '    \n        \n\n\n\t\t\t\n  x  \n   y',
  // numbers
  '0 1 12 123 1234 12345 123456 1234567 3.14159 -2.5e10 1,000,000 0xDEADBEEF ½ ² ³ Ⅻ ٣ ๓ 𝟏𝟐',
  // whitespace runs
  '          ',
  '\n\n\n\n',
  '\t \t \t',
  ' \u00a0 \u2003 \u3000 \u2028 \u2029 \u205f ',
  'a   b    c\n\n d',
  // CJK, other scripts
  '日本語のテキストです。中文文本，한국어 텍스트。',
  'Привет, мир! Γειά σου Κόσμε. مرحبا بالعالم. שלום עולם. नमस्ते दुनिया. สวัสดีชาวโลก',
  // emoji: ZWJ families, skin tones, flags, keycaps, variation selectors
  '👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 🇫🇷🇯🇵 1️⃣ #️⃣ ❤️ 🤷‍♀️ 👁️‍🗨️ 😀😂🥲',
  // combining marks
  'e\u0301 a\u0300\u0301\u0302 Z\u0351\u0352\u0353\u0354 n\u0303 cafe\u0301 ǅ ﬁ',
  // control and format characters
  '\u0000\u0001\u0002 \u0007\u0008\u001b[31mred\u001b[0m \u001c\u001d\u001e\u001f \u007f \u0085 \u200b\u200c\u200d \ufeffBOM \u00ad \u2060',
  // astral letters and lone surrogates (encoded as U+FFFD, as TextEncoder does)
  '𝐀𝐁𝐂 𝓗𝓮𝓵𝓵𝓸 𐌰𐌱𐌲 𠀀𠀁',
  'a\ud800b \udc00c \ud83d',
  '\udfff\ud800',
  // special token strings as ordinary text
  '<|endoftext|> <|extratoken_1|> <|endoftext|><|endoftext|>',
];

describe('ids identical to gpt-tokenizer 4.0.0 and js-tiktoken 1.0.21 (gpt2), away from U+0085 and U+FEFF', () => {
  it('on hand-picked texts', () => {
    for (const text of [...HANDPICKED, HANDPICKED.join('\n')].map(withoutJsWhitespaceDiffs)) {
      const ids = tok.encode(text);
      expect(ids, JSON.stringify(text)).toEqual(peerA(text));
      expect(ids, JSON.stringify(text)).toEqual(peerB(text));
    }
  });

  it('on a 1.1 MB deterministic mixed corpus', () => {
    const text = withoutJsWhitespaceDiffs(mixedCorpus(1_100_000, 42));
    const ids = tok.encode(text);
    const a = peerA(text);
    const b = peerB(text);
    const mb = Buffer.byteLength(text) / 1e6;
    console.log(`parity corpus: ${text.length} UTF-16 units, ${mb.toFixed(2)} MB UTF-8, ${ids.length} tokens`);
    expect(mb).toBeGreaterThan(1);
    expect(ids.length).toBe(a.length);
    expect(ids).toEqual(a);
    expect(ids).toEqual(b);
  }, 60_000);

  it('on the mini-code fixture prompts (ids from Hugging Face)', () => {
    const samples = miniCodeSamples();
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) {
      expect(tok.encode(s.prompt)).toEqual(s.prompt_ids);
      expect(tok.decode(s.prompt_ids)).toBe(s.prompt);
      expect(tok.decode([...s.prompt_ids, ...s.new_ids])).toBe(tiktoken.decode([...s.prompt_ids, ...s.new_ids]));
    }
  });
});

describe('decode', () => {
  it('inverts encode on the corpus (lone surrogates come back as U+FFFD)', () => {
    for (const text of [...HANDPICKED, mixedCorpus(500_000, 3)]) {
      expect(tok.decode(tok.encode(text))).toBe(wellFormed(text));
    }
  });

  it('equals js-tiktoken on random id sequences, including ones that cut characters', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    for (let k = 0; k < 200; k++) {
      const ids = Array.from({ length: 1 + (next() % 40) }, () => next() % 50257);
      expect(tok.decode(ids)).toBe(tiktoken.decode(ids));
    }
  });
});
